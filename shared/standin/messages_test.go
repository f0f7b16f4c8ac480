package standin

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

func TestSendGroupMsg(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("bob", "")
	h.createGroup("room")

	first := h.sendText("room", "bob", 1, "hello")
	second := h.sendText("room", "bob", 2, "again")
	if first.ErrorCode != 0 || first.MsgSeq != 1 || second.MsgSeq != 2 || first.MsgTime == 0 {
		t.Fatalf("replies %+v %+v", first, second)
	}
	var admin tim.SendGroupMsgReply
	h.must(cmdSendGroupMsg, tim.SendGroupMsgRequest{GroupID: "room", Random: 9, MsgPriority: tim.PriorityHigh,
		MsgBody: []tim.MsgElem{tim.CustomElem("LIVE_ENDED", `{"at":1}`)}, CloudCustomData: "ccd"}, &admin)
	if admin.MsgSeq != 3 {
		t.Fatalf("admin reply %+v", admin)
	}
	msgs := h.im.Messages("room")
	if len(msgs) != 3 {
		t.Fatalf("messages %+v", msgs)
	}
	if text, _ := msgs[0].Body[0].Text(); text != "hello" || msgs[0].From != "bob" || msgs[0].Seq != 1 || msgs[0].Priority != tim.PriorityNormal {
		t.Fatalf("first message %+v", msgs[0])
	}
	if c, _ := msgs[2].Body[0].Custom(); c.Data != "LIVE_ENDED" || msgs[2].From != testAdmin || msgs[2].Priority != tim.PriorityHigh || msgs[2].CloudCustomData != "ccd" {
		t.Fatalf("admin message %+v", msgs[2])
	}

	send := func(req tim.SendGroupMsgRequest) int { return h.call(cmdSendGroupMsg, req, nil).ErrorCode }
	text := []tim.MsgElem{tim.TextElem("x")}
	refusals := []struct {
		name string
		req  tim.SendGroupMsgRequest
		want int
	}{
		{"unknown group", tim.SendGroupMsgRequest{GroupID: "missing", FromAccount: "bob", Random: 10, MsgBody: text}, tim.CodeGroupNotFound},
		{"unknown sender", tim.SendGroupMsgRequest{GroupID: "room", FromAccount: "ghost", Random: 11, MsgBody: text}, codeNoSuchAccount},
		{"no GroupId", tim.SendGroupMsgRequest{FromAccount: "bob", Random: 12, MsgBody: text}, tim.CodeInvalidParam},
		{"no body", tim.SendGroupMsgRequest{GroupID: "room", FromAccount: "bob", Random: 13}, tim.CodeInvalidParam},
		{"unknown element", tim.SendGroupMsgRequest{GroupID: "room", FromAccount: "bob", Random: 14, MsgBody: []tim.MsgElem{{MsgType: "TIMMagicElem", MsgContent: json.RawMessage(`{}`)}}}, tim.CodeInvalidParam},
		{"bad priority", tim.SendGroupMsgRequest{GroupID: "room", FromAccount: "bob", Random: 15, MsgBody: text, MsgPriority: "Urgent"}, tim.CodeInvalidParam},
		{"over 8 KB", tim.SendGroupMsgRequest{GroupID: "room", FromAccount: "bob", Random: 16, MsgBody: []tim.MsgElem{tim.TextElem(strings.Repeat("x", 8<<10))}}, tim.CodeMsgTooLong},
	}
	for _, c := range refusals {
		if got := send(c.req); got != c.want {
			t.Errorf("%s: ErrorCode %d, want %d", c.name, got, c.want)
		}
	}
	if n := len(h.im.Messages("room")); n != 3 {
		t.Fatalf("refused messages were stored: %d messages", n)
	}
	if got := send(tim.SendGroupMsgRequest{GroupID: "room", FromAccount: "bob", Random: 17, MsgPriority: tim.PriorityLowest, MsgBody: []tim.MsgElem{tim.TextElem(strings.Repeat("x", 8000))}}); got != 0 {
		t.Fatalf("a message under 8 KB at Lowest priority: %d", got)
	}
}

func TestSendGroupMsgDuplicateRandom(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("bob", "")
	h.importAccount("carol", "")
	h.createGroup("room")
	h.createGroup("other")

	first := h.sendText("room", "bob", 42, "gift")
	retry := h.sendText("room", "bob", 42, "gift")
	if retry.ErrorCode != 0 || retry.MsgSeq != first.MsgSeq || retry.MsgTime != first.MsgTime {
		t.Fatalf("retry %+v, first %+v", retry, first)
	}
	if n := len(h.im.Messages("room")); n != 1 {
		t.Fatalf("a duplicate was delivered: %d messages", n)
	}
	// Another sender, or another group, is not a duplicate.
	if r := h.sendText("room", "carol", 42, "gift"); r.MsgSeq != 2 {
		t.Fatalf("carol %+v", r)
	}
	if r := h.sendText("other", "bob", 42, "gift"); r.MsgSeq != 1 {
		t.Fatalf("other group %+v", r)
	}
	// After five minutes the same Random is a new message.
	h.clock.Advance(5*time.Minute + time.Second)
	if r := h.sendText("room", "bob", 42, "gift"); r.MsgSeq != 3 {
		t.Fatalf("after five minutes %+v", r)
	}
}

func TestSendGroupMsgDuplicateInFlight(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("bob", "")
	h.createGroup("room")
	replies := make(chan tim.SendGroupMsgReply, 2)
	for range 2 {
		go func() { replies <- h.sendText("room", "bob", 7, "twice") }()
	}
	a, b := <-replies, <-replies
	if a.MsgSeq != 1 || b.MsgSeq != 1 {
		t.Fatalf("replies %+v %+v", a, b)
	}
	if n := len(h.im.Messages("room")); n != 1 {
		t.Fatalf("%d messages delivered", n)
	}
}

func TestSendGroupSystemNotification(t *testing.T) {
	h := newHarness(t).start()
	h.createGroup("room")
	h.must(cmdSystemNotification, tim.SystemNotificationRequest{GroupID: "room", Content: `{"type":"NOTICE","msg":"hi"}`}, nil)
	if n := h.im.Notifications("room"); len(n) != 1 || n[0].Content != `{"type":"NOTICE","msg":"hi"}` {
		t.Fatalf("notifications %+v", n)
	}
	h.wantCode(tim.CodeGroupNotFound, cmdSystemNotification, tim.SystemNotificationRequest{GroupID: "missing", Content: "x"})
	h.wantCode(tim.CodeInvalidParam, cmdSystemNotification, tim.SystemNotificationRequest{GroupID: "room"})
	h.wantCode(tim.CodeInvalidParam, cmdSystemNotification, map[string]any{"GroupId": "room", "Content": "x", "ToMembers_Account": []string{"bob"}})
	if n := len(h.im.Messages("room")); n != 0 {
		t.Fatalf("a notification is not a message: %d messages", n)
	}
}
