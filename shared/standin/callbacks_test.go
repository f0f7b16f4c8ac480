package standin

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

func TestCallbacksAreSignedAndDescribed(t *testing.T) {
	app := newCallbackApp(t, "callback-token")
	h := newHarness(t, withCallbacks(app)).start()
	h.importAccount("bob", "")
	h.createGroup("room")
	reply := h.sendText("room", "bob", 77, "hello")
	if reply.MsgSeq != 1 {
		t.Fatalf("reply %+v", reply)
	}
	h.settle()
	if n := len(app.received(tim.CmdAfterSendMsg)); n != 1 {
		t.Fatalf("%d AfterSendMsg callbacks, want 1", n)
	}

	before := app.received(tim.CmdBeforeSendMsg)
	if len(before) != 1 {
		t.Fatalf("%d BeforeSendMsg callbacks", len(before))
	}
	for _, c := range append(before, app.received(tim.CmdAfterSendMsg)...) {
		q := c.query
		if !app.signedCorrectly(q) {
			t.Errorf("%s: Sign %q does not verify for RequestTime %q", c.command, q.Get("Sign"), q.Get("RequestTime"))
		}
		if q.Get("SdkAppid") != "1400000001" || q.Get("contenttype") != "json" || q.Get("OptPlatform") != platformREST || q.Get("ClientIP") != "127.0.0.1" {
			t.Errorf("%s: query %v", c.command, q)
		}
	}
	cb := decodeSendMsgCallback(t, before[0])
	if cb.CallbackCommand != tim.CmdBeforeSendMsg || cb.GroupID != "room" || cb.Type != tim.GroupTypeAVChatRoom ||
		cb.FromAccount != "bob" || cb.OperatorAccount != testAdmin || cb.Random != 77 || cb.EventTime == 0 || cb.MsgSeq != 0 {
		t.Fatalf("BeforeSendMsg %+v", cb)
	}
	if text, _ := cb.MsgBody[0].Text(); text != "hello" {
		t.Fatalf("BeforeSendMsg body %+v", cb.MsgBody)
	}
	after := decodeSendMsgCallback(t, app.received(tim.CmdAfterSendMsg)[0])
	if after.MsgSeq != 1 || after.MsgTime != reply.MsgTime || after.FromAccount != "bob" {
		t.Fatalf("AfterSendMsg %+v", after)
	}
}

func TestCallbacksWithoutToken(t *testing.T) {
	app := newCallbackApp(t, "")
	h := newHarness(t, withCallbacks(app)).start()
	h.importAccount("bob", "")
	h.createGroup("room")
	h.sendText("room", "bob", 1, "hello")
	q := app.received(tim.CmdBeforeSendMsg)[0].query
	if q.Has("Sign") || q.Has("RequestTime") {
		t.Fatalf("unsigned callbacks carry %v", q)
	}
}

func TestBeforeSendMsgDecides(t *testing.T) {
	replacement := []tim.MsgElem{tim.TextElem("***")}
	answer := func(v any) func(http.ResponseWriter, *http.Request, tim.SendMsgCallback) {
		return func(w http.ResponseWriter, _ *http.Request, _ tim.SendMsgCallback) { writeJSON(w, http.StatusOK, v) }
	}
	cases := []struct {
		name      string
		before    func(http.ResponseWriter, *http.Request, tim.SendMsgCallback)
		wantCode  int
		wantInfo  string
		delivered string // the text members receive; "" when nothing is delivered
	}{
		{"pass", answer(tim.OK), 0, "", "bad word"},
		{"pass with a replacement", answer(tim.BeforeSendMsgReply{Reply: tim.OK, MsgBody: replacement}), 0, "", "***"},
		{"reject", answer(tim.Reply{ActionStatus: tim.StatusOK, ErrorCode: tim.CallbackReject}), codeCallbackRefused, "", ""},
		{"discard", answer(tim.Reply{ActionStatus: tim.StatusOK, ErrorCode: tim.CallbackDiscard}), 0, "", ""},
		{"app code", answer(tim.Reply{ActionStatus: tim.StatusFail, ErrorCode: 10150, ErrorInfo: "word not allowed"}), 10150, "word not allowed", ""},
		{"timeout", func(_ http.ResponseWriter, r *http.Request, _ tim.SendMsgCallback) { <-r.Context().Done() }, 0, "", "bad word"},
		{"HTTP 500", func(w http.ResponseWriter, _ *http.Request, _ tim.SendMsgCallback) {
			w.WriteHeader(http.StatusInternalServerError)
		}, 0, "", "bad word"},
		{"unparsable", func(w http.ResponseWriter, _ *http.Request, _ tim.SendMsgCallback) { _, _ = w.Write([]byte("<html>")) }, 0, "", "bad word"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := newCallbackApp(t, "token")
			app.setBefore(c.before)
			h := newHarness(t, withCallbacks(app), func(cfg *Config) { cfg.CallbackTimeout = 100 * time.Millisecond }).start()
			h.importAccount("bob", "")
			h.importAccount("alice", "")
			h.createGroup("room")
			viewer := h.subscribe("room", "alice")
			viewer.next(t) // alice's own join tip

			start := time.Now()
			reply := h.sendText("room", "bob", 5, "bad word")
			if c.name == "timeout" && time.Since(start) > time.Second {
				t.Fatalf("the sender waited %v for a callback that times out after 100ms", time.Since(start))
			}
			if reply.ErrorCode != c.wantCode || reply.ErrorInfo != c.wantInfo && c.wantInfo != "" {
				t.Fatalf("reply %+v, want ErrorCode %d %q", reply, c.wantCode, c.wantInfo)
			}
			msgs := h.im.Messages("room")
			if c.delivered == "" {
				if len(msgs) != 0 || reply.MsgSeq != 0 {
					t.Fatalf("delivered %+v, reply %+v", msgs, reply)
				}
				viewer.quiet(t, 200*time.Millisecond)
				h.settle()
				if n := len(app.received(tim.CmdAfterSendMsg)); n != 0 {
					t.Fatalf("%d AfterSendMsg callbacks for a message not delivered", n)
				}
				return
			}
			if len(msgs) != 1 || reply.MsgSeq != 1 {
				t.Fatalf("delivered %+v, reply %+v", msgs, reply)
			}
			if text, _ := msgs[0].Body[0].Text(); text != c.delivered {
				t.Fatalf("stored %q, want %q", text, c.delivered)
			}
			m := viewer.next(t)
			var p TextPayload
			if err := json.Unmarshal(m.Payload, &p); err != nil || m.Type != tim.ElemText || p.Text != c.delivered {
				t.Fatalf("alice received %+v", m)
			}
			h.settle()
			if n := len(app.received(tim.CmdAfterSendMsg)); n != 1 {
				t.Fatalf("%d AfterSendMsg callbacks, want 1", n)
			}
			after := decodeSendMsgCallback(t, app.received(tim.CmdAfterSendMsg)[0])
			if text, _ := after.MsgBody[0].Text(); text != c.delivered || after.MsgSeq != 1 {
				t.Fatalf("AfterSendMsg %+v", after)
			}
		})
	}
}

func TestBeforeSendMsgRefusesViewerMessages(t *testing.T) {
	app := newCallbackApp(t, "token")
	app.setBefore(func(w http.ResponseWriter, _ *http.Request, cb tim.SendMsgCallback) {
		code := tim.CallbackReject
		if c, _ := cb.MsgBody[0].Custom(); c.Data == "LIKE" {
			code = 10120
		}
		writeJSON(w, http.StatusOK, tim.Reply{ActionStatus: tim.StatusOK, ErrorCode: code, ErrorInfo: "no"})
	})
	h := newHarness(t, withCallbacks(app)).start()
	h.importAccount("alice", "")
	h.createGroup("room")
	h.viewer(http.MethodPost, groupPath("room")+"/members", "alice", nil, nil)

	var refused clientError
	if status := h.viewer(http.MethodPost, groupPath("room")+"/messages", "alice", map[string]any{"text": "hi"}, &refused); status != http.StatusForbidden || refused.Code != codeCallbackRefused {
		t.Fatalf("HTTP %d %+v", status, refused)
	}
	like := map[string]any{"custom": map[string]string{"data": "LIKE", "description": "", "extension": "{}"}, "priority": "Low"}
	if status := h.viewer(http.MethodPost, groupPath("room")+"/messages", "alice", like, &refused); status != http.StatusForbidden || refused.Code != 10120 || refused.Message != "no" {
		t.Fatalf("HTTP %d %+v", status, refused)
	}
	before := app.received(tim.CmdBeforeSendMsg)
	if len(before) != 2 || before[0].query.Get("OptPlatform") != platformWeb || decodeSendMsgCallback(t, before[0]).OperatorAccount != "alice" {
		t.Fatalf("BeforeSendMsg %+v", before)
	}
	if n := len(h.im.Messages("room")); n != 0 {
		t.Fatalf("%d messages delivered", n)
	}
}

func TestAdminMessagesAndForbidCallbackControl(t *testing.T) {
	app := newCallbackApp(t, "token")
	h := newHarness(t, withCallbacks(app)).start()
	h.importAccount("bob", "")
	h.createGroup("room")
	text := []tim.MsgElem{tim.TextElem("x")}

	h.must(cmdSendGroupMsg, tim.SendGroupMsgRequest{GroupID: "room", Random: 1, MsgBody: text}, nil)
	h.must(cmdSendGroupMsg, tim.SendGroupMsgRequest{GroupID: "room", Random: 2, FromAccount: "bob", MsgBody: text,
		ForbidCallbackControl: []string{"ForbidBeforeSendMsgCallback"}}, nil)
	h.must(cmdSendGroupMsg, tim.SendGroupMsgRequest{GroupID: "room", Random: 3, FromAccount: "bob", MsgBody: text,
		ForbidCallbackControl: []string{"ForbidAfterSendMsgCallback"}}, nil)

	h.settle()
	if n := len(app.received(tim.CmdBeforeSendMsg)); n != 1 {
		t.Fatalf("%d BeforeSendMsg callbacks, want 1 (only the third message)", n)
	}
	if cb := decodeSendMsgCallback(t, app.received(tim.CmdBeforeSendMsg)[0]); cb.Random != 3 {
		t.Fatalf("BeforeSendMsg for %+v", cb)
	}
	seqs := map[uint64]bool{}
	for _, r := range app.received(tim.CmdAfterSendMsg) {
		cb := decodeSendMsgCallback(t, r)
		seqs[cb.MsgSeq] = true
		if cb.MsgSeq == 1 && cb.FromAccount != testAdmin {
			t.Fatalf("admin message reported from %q", cb.FromAccount)
		}
	}
	if !seqs[1] || !seqs[2] || len(app.received(tim.CmdAfterSendMsg)) != 2 {
		t.Fatalf("AfterSendMsg for MsgSeq %v", seqs)
	}
}

func TestMembershipCallbacks(t *testing.T) {
	app := newCallbackApp(t, "token")
	h := newHarness(t, withCallbacks(app)).start()
	h.importAccount("alice", "")
	h.createGroup("room")
	path := groupPath("room") + "/members"
	var joined map[string]any
	h.viewer(http.MethodPost, path, "alice", nil, &joined)
	h.viewer(http.MethodPost, path, "alice", nil, &joined) // already a member: no second callback
	if joined["status"] != "AlreadyInGroup" {
		t.Fatalf("second join %v", joined)
	}
	if status := h.viewer(http.MethodDelete, path+"/me", "alice", nil, nil); status != http.StatusOK {
		t.Fatalf("quit: HTTP %d", status)
	}
	h.settle()
	if joins, exits := len(app.received(tim.CmdAfterNewMemberJoin)), len(app.received(tim.CmdAfterMemberExit)); joins != 1 || exits != 1 {
		t.Fatalf("%d AfterNewMemberJoin and %d AfterMemberExit callbacks, want 1 each", joins, exits)
	}
	var join tim.NewMemberJoinCallback
	r := app.received(tim.CmdAfterNewMemberJoin)[0]
	if err := json.Unmarshal(r.body, &join); err != nil {
		t.Fatal(err)
	}
	if join.CallbackCommand != tim.CmdAfterNewMemberJoin || join.GroupID != "room" || join.Type != tim.GroupTypeAVChatRoom || join.JoinType != "Apply" ||
		join.OperatorAccount != "alice" || len(join.NewMemberList) != 1 || join.NewMemberList[0].MemberAccount != "alice" || join.EventTime == 0 {
		t.Fatalf("join %+v", join)
	}
	if !app.signedCorrectly(r.query) || r.query.Get("OptPlatform") != platformWeb {
		t.Fatalf("join query %v", r.query)
	}
	var exit tim.MemberExitCallback
	if err := json.Unmarshal(app.received(tim.CmdAfterMemberExit)[0].body, &exit); err != nil {
		t.Fatal(err)
	}
	if exit.ExitType != "Quit" || exit.OperatorAccount != "alice" || len(exit.ExitMemberList) != 1 || exit.ExitMemberList[0].MemberAccount != "alice" {
		t.Fatalf("exit %+v", exit)
	}
	if v, _ := h.im.Group("room"); len(v.Members) != 0 {
		t.Fatalf("members %v", v.Members)
	}
}
