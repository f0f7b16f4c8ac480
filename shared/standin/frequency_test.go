package standin

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

func TestFrequencyControlShedsLowPriorityFirst(t *testing.T) {
	app := newCallbackApp(t, "token")
	h := newHarness(t, withCallbacks(app), func(c *Config) { c.GroupMessagesPerSecond = 5 })
	h.im.tick = 400 * time.Millisecond // room for the whole burst to arrive within one tick, even under -race
	h.start()
	h.importAccount("bob", "")
	h.importAccount("alice", "")
	h.createGroup("room")
	viewer := h.subscribe("room", "alice")
	viewer.next(t) // alice's own join tip

	type sent struct {
		priority string
		reply    tim.SendGroupMsgReply
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		replies []sent
		release = make(chan struct{})
	)
	for i := range 25 {
		priority := tim.PriorityLow
		if i%5 == 4 {
			priority = tim.PriorityHigh
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			var reply tim.SendGroupMsgReply
			h.call(cmdSendGroupMsg, tim.SendGroupMsgRequest{GroupID: "room", FromAccount: "bob", Random: uint32(i), MsgPriority: priority,
				MsgBody: []tim.MsgElem{tim.CustomElem("LIKE", "{}")}}, &reply)
			mu.Lock()
			replies = append(replies, sent{priority, reply})
			mu.Unlock()
		}()
	}
	close(release)
	wg.Wait()

	delivered := 0
	for _, s := range replies {
		if s.reply.ErrorCode != 0 {
			t.Fatalf("sender told %+v; a dropped message still succeeds", s.reply)
		}
		switch {
		case s.reply.MsgSeq > 0:
			delivered++
			if s.priority != tim.PriorityHigh {
				t.Errorf("a %s message was delivered while High ones competed", s.priority)
			}
		case s.reply.MsgDropReason != "MsgFreqCtrl":
			t.Errorf("dropped without MsgDropReason: %+v", s.reply)
		case s.priority == tim.PriorityHigh:
			t.Errorf("a High message was dropped")
		}
	}
	if delivered != 5 {
		t.Fatalf("%d messages delivered in one second, want the 5 High ones", delivered)
	}
	msgs := h.im.Messages("room")
	if len(msgs) != 5 {
		t.Fatalf("%d messages stored", len(msgs))
	}
	for _, m := range msgs {
		if m.Priority != tim.PriorityHigh {
			t.Fatalf("stored %+v", m)
		}
	}
	for range 5 {
		if m := viewer.next(t); m.Priority != tim.PriorityHigh {
			t.Fatalf("alice received %+v", m)
		}
	}
	viewer.quiet(t, 100*time.Millisecond)

	if n := len(app.received(tim.CmdBeforeSendMsg)); n != 25 {
		t.Fatalf("%d BeforeSendMsg callbacks, want one per message, dropped ones included", n)
	}
	h.settle()
	if n := len(app.received(tim.CmdAfterSendMsg)); n != 5 {
		t.Fatalf("%d AfterSendMsg callbacks, want one per delivered message", n)
	}

	// Within the same second nothing more fits, whatever its priority.
	var reply tim.SendGroupMsgReply
	h.call(cmdSendGroupMsg, tim.SendGroupMsgRequest{GroupID: "room", Random: 100, MsgPriority: tim.PriorityHigh, MsgBody: []tim.MsgElem{tim.TextElem("x")}}, &reply)
	if reply.MsgSeq != 0 || reply.MsgDropReason != "MsgFreqCtrl" {
		t.Fatalf("sixth message of the second: %+v", reply)
	}
	// A second later the budget is back.
	h.clock.Advance(time.Second)
	h.call(cmdSendGroupMsg, tim.SendGroupMsgRequest{GroupID: "room", Random: 101, MsgPriority: tim.PriorityLowest, MsgBody: []tim.MsgElem{tim.TextElem("x")}}, &reply)
	if reply.MsgSeq != 6 {
		t.Fatalf("next second: %+v", reply)
	}
}

func TestFrequencyControlIsPerGroup(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.GroupMessagesPerSecond = 1 }).start()
	h.importAccount("bob", "")
	h.createGroup("a")
	h.createGroup("b")
	if r := h.sendText("a", "bob", 1, "x"); r.MsgSeq != 1 {
		t.Fatalf("a: %+v", r)
	}
	if r := h.sendText("b", "bob", 1, "x"); r.MsgSeq != 1 {
		t.Fatalf("b: %+v", r)
	}
	if r := h.sendText("a", "bob", 2, "x"); r.MsgSeq != 0 || r.MsgDropReason != dropFrequency {
		t.Fatalf("a again: %+v", r)
	}
}

func TestFrequencyControlOff(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.GroupMessagesPerSecond = -1 }).start()
	h.importAccount("bob", "")
	h.createGroup("room")
	for i := range 60 {
		if r := h.sendText("room", "bob", uint32(i), "x"); r.MsgSeq != uint64(i+1) {
			t.Fatalf("message %d: %+v", i, r)
		}
	}
}

func TestSystemNotificationsBypassFrequencyControl(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.GroupMessagesPerSecond = 1 }).start()
	h.importAccount("alice", "")
	h.createGroup("room")
	viewer := h.subscribe("room", "alice")
	viewer.next(t)
	h.sendText("room", testAdmin, 1, "uses the budget")
	viewer.next(t)
	for range 3 {
		h.must(cmdSystemNotification, tim.SystemNotificationRequest{GroupID: "room", Content: "n"}, nil)
		if m := viewer.next(t); m.Type != TypeGroupSystemNotice {
			t.Fatalf("got %+v", m)
		}
	}
	if status := h.viewer(http.MethodGet, groupPath("room"), "alice", nil, nil); status != http.StatusOK {
		t.Fatalf("HTTP %d", status)
	}
}
