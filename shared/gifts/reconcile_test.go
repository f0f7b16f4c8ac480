package gifts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/gifts"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/memstore"
)

// failNth fails the nth call (counting from 1) of op on keys containing part, once.
func failNth(part, op string, nth int) func(string, string) error {
	var mu sync.Mutex
	seen := 0
	return func(o, key string) error {
		if o != op || !strings.Contains(key, part) {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		seen++
		if seen == nth {
			return store.ErrUnavailable
		}
		return nil
	}
}

// sendGiftsFrom counts the single SEND_GIFT messages from user in room r1.
func (w *world) sendGiftsFrom(user string) int {
	n := 0
	for _, m := range w.im.Messages("r1") {
		if m.From == user && strings.Contains(string(m.Body[0].MsgContent), live.EventSendGift) {
			n++
		}
	}
	return n
}

// TestAGiftLeftHalfwayIsFinishedByTheNextGiftInTheRoom stops a gift request at each point a
// crash can leave it (the debit done but not recorded; recorded billed but not announced; IM
// took it but the record did not move) and lets the next gift request in the room, once the
// gift is a minute old, finish it: announced once, or refunded, never charged and lost.
func TestAGiftLeftHalfwayIsFinishedByTheNextGiftInTheRoom(t *testing.T) {
	for _, c := range []struct {
		name string
		// crash is the fault hook of the crashing request; imFails makes IM refuse the gift
		// when it is finished.
		crash   func(w *world) func(string, string) error
		imFails bool
		// want: the gift's end and carol's balance after it.
		refunded bool
	}{
		{name: "debit not recorded", crash: func(*world) func(string, string) error { return failNth("giftop/", "CompareAndSwap", 1) }},
		{name: "IM took it, record not moved", crash: func(*world) func(string, string) error { return failNth("giftop/", "CompareAndSwap", 2) }},
		{name: "billed, IM and the refund failed", crash: func(w *world) func(string, string) error {
			w.faults.Fail(sendMsg, 1, 10007, false)
			return failNth("wallet#carol", "CompareAndSwap", 3) // debit, settle, refund
		}},
		{name: "billed, IM refuses it later", crash: func(*world) func(string, string) error {
			return failNth("giftop/", "CompareAndSwap", 2)
		}, imFails: true, refunded: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
			w := newWorldAt(t, 10, clk.Now)
			w.viewer(t, "carol", 100)
			w.viewer(t, "dan", 100)
			ctx := context.Background()
			if c.imFails {
				// The crash leaves the gift billed and not announced.
				w.faults.Fail(sendMsg, 1, 10007, false)
				w.kv.SetFaults(failNth("wallet#carol", "CompareAndSwap", 3))
			} else {
				w.kv.SetFaults(c.crash(w))
			}
			p := gifts.SendParams{RoomID: "r1", UserID: "carol", GiftID: "rose", Count: 1, Key: "crash-1"}
			if _, err := w.svc.Send(ctx, p); err == nil {
				t.Fatal("the crashing request succeeded")
			}
			w.kv.SetFaults(nil)
			w.faults.Clear()
			coins, _, _ := w.svc.LedgerCoins(ctx, "r1")
			if bal := w.balance(t, "carol"); bal != 70 || coins+bal == 100 && c.name == "debit not recorded" {
				t.Fatalf("after the crash: balance %d, ledger %d; want 70 held by a gift left halfway", bal, coins)
			}

			// Within the minute nothing is touched: the request might still be running.
			clk.Advance(30 * time.Second)
			if _, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "dan", GiftID: "rose", Count: 1, Key: "d1"}); err != nil {
				t.Fatal(err)
			}
			if c.imFails {
				// IM refuses dan's gift, then carol's when the reconciliation announces it.
				w.faults.Fail(sendMsg, 2, 10007, false)
			}
			clk.Advance(2 * time.Minute)
			if _, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "dan", GiftID: "rose", Count: 1, Key: "d2"}); err != nil && !c.imFails {
				t.Fatal(err)
			}
			w.faults.Clear()

			bal := w.balance(t, "carol")
			coins, _, err := w.svc.LedgerCoins(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			if bal+coins+w.balance(t, "dan") != 200 {
				t.Fatalf("coins not conserved: carol %d + dan %d + ledger %d != 200", bal, w.balance(t, "dan"), coins)
			}
			shown := w.sendGiftsFrom("carol")
			if c.refunded {
				if bal != 100 || shown != 0 {
					t.Fatalf("carol's balance %d, %d SEND_GIFT; want the gift refunded and not shown", bal, shown)
				}
			} else {
				if bal != 70 || shown != 1 {
					t.Fatalf("carol's balance %d, %d SEND_GIFT; want the gift billed once and shown once", bal, shown)
				}
				if sales, _ := w.svc.Sales().Totals(ctx, "r1", 10); sales.Coins != coins {
					t.Fatalf("room totals %d coins, ledger %d", sales.Coins, coins)
				}
			}
			// Nothing is left pending, and repeating the request changes nothing more.
			if rep, err := w.svc.Reconcile(ctx, "r1", 0); err != nil || rep != (gifts.Reconciled{}) {
				t.Fatalf("a second reconciliation did %+v %v", rep, err)
			}
			got, err := w.svc.Send(ctx, p)
			if !c.refunded && (err != nil || got.Balance != 70) {
				t.Fatalf("repeat: %+v %v", got, err)
			}
			if !c.refunded && w.sendGiftsFrom("carol") != 1 {
				t.Fatal("the repeat showed the gift again")
			}
		})
	}
}

// TestAStaleGiftDeclinedByReconcileCannotBeDebitedLater finds a gift recorded but not debited,
// declines it, and refuses the debit a request still under way would make afterwards.
func TestAStaleGiftDeclinedByReconcileCannotBeDebitedLater(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
	w := newWorldAt(t, 10, clk.Now)
	w.viewer(t, "erin", 100)
	ctx := context.Background()
	// The request stops after recording the gift, before the debit.
	w.kv.SetFaults(memstore.FailCalls("wallet#erin", 1, store.ErrUnavailable, "Get"))
	p := gifts.SendParams{RoomID: "r1", UserID: "erin", GiftID: "rose", Count: 1, Key: "k"}
	if _, err := w.svc.Send(ctx, p); err == nil {
		t.Fatal("the stopped request succeeded")
	}
	w.kv.SetFaults(nil)
	clk.Advance(2 * time.Minute)
	rep, err := w.svc.Reconcile(ctx, "r1", time.Minute)
	if err != nil || rep.Declined != 1 {
		t.Fatalf("reconcile: %+v %v", rep, err)
	}
	if bal := w.balance(t, "erin"); bal != 100 {
		t.Fatalf("balance %d, want 100: a declined gift costs nothing", bal)
	}
	// The viewer repeats it: it is billed once, under a new attempt.
	got, err := w.svc.Send(ctx, p)
	if err != nil || got.Balance != 70 || w.sendGiftsFrom("erin") != 1 {
		t.Fatalf("repeat after the decline: %+v %v, %d shown", got, err, w.sendGiftsFrom("erin"))
	}
}

// TestReconcileIsBoundedPerCall leaves more gifts halfway than one call finishes.
func TestReconcileIsBoundedPerCall(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
	w := newWorldAt(t, 40, clk.Now)
	w.viewer(t, "fay", 10000)
	ctx := context.Background()
	w.kv.SetFaults(memstore.FailCalls("wallet#fay", 0, store.ErrUnavailable, "CompareAndSwap"))
	// With every wallet swap failing nothing is debited: each gift is left recorded, not billed.
	const n = gifts.ReconcileBatch + 5
	for i := range n {
		_, _ = w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "fay", GiftID: "rose", Count: 1, Key: fmt.Sprint("b", i)})
	}
	w.kv.SetFaults(nil)
	clk.Advance(2 * time.Minute)
	rep, err := w.svc.Reconcile(ctx, "r1", time.Minute)
	if err != nil || rep.Declined != gifts.ReconcileBatch || !rep.More {
		t.Fatalf("first call: %+v %v", rep, err)
	}
	rep, err = w.svc.Reconcile(ctx, "r1", time.Minute)
	if err != nil || rep.Declined != 5 || rep.More {
		t.Fatalf("second call: %+v %v", rep, err)
	}
	if bal := w.balance(t, "fay"); bal != 10000 {
		t.Fatalf("balance %d", bal)
	}
}

// TestAGiftStoppedOnItsWayToTheMergeQueueIsShownOnce stops a request whose gift goes past the
// room's budget: before its record says it is queued, or after that and before it is in the
// merge queue. The sweep announces the gift once and counts it once.
func TestAGiftStoppedOnItsWayToTheMergeQueueIsShownOnce(t *testing.T) {
	for _, c := range []struct {
		name  string
		crash func(op, key string) error
	}{
		{"recording it as queued fails", failNth("giftop/r1/", "CompareAndSwap", 2)},
		{"putting it in the queue fails", memstore.FailCalls("giftpending/r1/", 1, store.ErrUnavailable, "CompareAndSwap")},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
			w := newWorldAt(t, 2, clk.Now) // one gift a second on its own
			w.viewer(t, "ivy", 1000)
			ctx := context.Background()
			if _, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "ivy", GiftID: "rose", Count: 1, Key: "first"}); err != nil {
				t.Fatal(err)
			}
			w.kv.SetFaults(c.crash)
			if _, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "ivy", GiftID: "rose", Count: 1, Key: "second"}); err == nil {
				t.Fatal("the stopped request succeeded")
			}
			w.kv.SetFaults(nil)
			clk.Advance(time.Second)
			if _, err := w.svc.Flush(ctx, "r1"); err != nil {
				t.Fatal(err)
			}
			if _, _, shown := w.giftMessages(t); shown != 1 {
				t.Fatalf("%d gifts shown before the sweep; want only the first", shown)
			}
			clk.Advance(2 * time.Minute)
			for range 2 {
				w.svc.Sweep(ctx, []string{"r1"})
			}
			if _, _, shown := w.giftMessages(t); shown != 2 {
				t.Fatalf("%d gifts shown; want each gift shown once", shown)
			}
			if bal := w.balance(t, "ivy"); bal != 940 {
				t.Fatalf("balance %d, want 940", bal)
			}
			tot := w.totals(t)
			if tot.Gifts != 2 || tot.Coins != 60 {
				t.Fatalf("totals %+v, want 2 gifts, 60 coins", tot)
			}
			if left := w.kv.Snapshot(); hasPrefix(left, "giftpending/") || hasPrefix(left, "giftmergeout/") {
				t.Fatalf("pending or queued entries left: %v", left)
			}
		})
	}
}

// TestOverlappingFlushesAnnounceEachGiftOnce lets a second flush run while the first one, whose
// lease ran out, is still deciding its message: each queued gift is announced once.
func TestOverlappingFlushesAnnounceEachGiftOnce(t *testing.T) {
	w := newWorld(t, 10)
	ctx := context.Background()
	queue := func(i int) {
		item := fmt.Sprintf(`{"op":"op%02d","userId":"u%02d","gift":{"giftId":"rose","name":"Rose","price":30},"count":1,"combo":1}`, i, i)
		if err := w.kv.Put(ctx, fmt.Sprintf("giftpending/r1/000000000001.op%02d", i), []byte(item), 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		queue(i)
	}
	held, release := w.holdFirst("Put", "giftmergeout/")
	first := make(chan error)
	go func() {
		_, err := w.svc.Flush(ctx, "r1")
		first <- err
	}()
	<-held
	// The first flush's lease runs out, one more gift is queued, and a second flush runs to its
	// end.
	if _, err := w.kv.Delete(ctx, "giftflushing#r1"); err != nil {
		t.Fatal(err)
	}
	queue(30)
	if _, err := w.svc.Flush(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, _, shown := w.giftMessages(t); shown != 31 {
		t.Fatalf("%d gifts shown, want the 31 queued once each", shown)
	}
}

// TestAQueueingThatComesLateDoesNotShowAGiftAgain holds a request just before it queues its gift,
// until the sweep, taking the request for stopped, has queued and announced the gift: the late
// queueing then changes nothing.
func TestAQueueingThatComesLateDoesNotShowAGiftAgain(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
	w := newWorldAt(t, 2, clk.Now) // one gift a second on its own
	w.viewer(t, "jo", 1000)
	ctx := context.Background()
	if _, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "jo", GiftID: "rose", Count: 1, Key: "first"}); err != nil {
		t.Fatal(err)
	}
	held, release := w.holdFirst("CompareAndSwap", "giftpending/r1/")
	late := make(chan error)
	go func() {
		_, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "jo", GiftID: "rose", Count: 1, Key: "second"})
		late <- err
	}()
	<-held
	clk.Advance(2 * time.Minute)
	w.svc.Sweep(ctx, []string{"r1"})
	if _, _, shown := w.giftMessages(t); shown != 2 {
		t.Fatalf("%d gifts shown after the sweep, want 2", shown)
	}
	close(release)
	if err := <-late; err != nil {
		t.Fatal(err)
	}
	w.svc.Sweep(ctx, []string{"r1"})
	if _, _, shown := w.giftMessages(t); shown != 2 {
		t.Fatalf("%d gifts shown, want each of the 2 once", shown)
	}
}

// TestARepeatedRequestLeavesOneQueueEntry stops a request before its gift is recorded as queued
// and lets the viewer repeat it, which queues and announces it: the entry the first request left
// does not queue the gift again.
func TestARepeatedRequestLeavesOneQueueEntry(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
	w := newWorldAt(t, 2, clk.Now)
	w.viewer(t, "kai", 1000)
	ctx := context.Background()
	if _, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "kai", GiftID: "rose", Count: 1, Key: "first"}); err != nil {
		t.Fatal(err)
	}
	p := gifts.SendParams{RoomID: "r1", UserID: "kai", GiftID: "rose", Count: 1, Key: "second"}
	w.kv.SetFaults(failNth("giftop/r1/", "CompareAndSwap", 2))
	if _, err := w.svc.Send(ctx, p); err == nil {
		t.Fatal("the stopped request succeeded")
	}
	w.kv.SetFaults(nil)
	// The repeat comes a few seconds later, when the budget is spent again.
	clk.Advance(3 * time.Second)
	if _, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "kai", GiftID: "rose", Count: 1, Key: "third"}); err != nil {
		t.Fatal(err)
	}
	if got, err := w.svc.Send(ctx, p); err != nil || !got.Merged {
		t.Fatalf("the repeat: %+v, %v; want it queued", got, err)
	}
	clk.Advance(2 * time.Minute)
	for range 2 {
		w.svc.Sweep(ctx, []string{"r1"})
	}
	if _, _, shown := w.giftMessages(t); shown != 3 {
		t.Fatalf("%d gifts shown, want each of the 3 once", shown)
	}
	if bal := w.balance(t, "kai"); bal != 910 {
		t.Fatalf("balance %d, want 910", bal)
	}
	if left := w.kv.Snapshot(); hasPrefix(left, "giftpending/") {
		t.Fatalf("pending entries left: %v", left)
	}
}

// TestAMergedMessageIMRefusesDoesNotHoldUpTheRoom leaves in the outbox a merged message IM will
// always refuse (too long): it is dropped, and once its claims expire its gifts are announced in
// new messages, while the gifts queued after it are announced at once.
func TestAMergedMessageIMRefusesDoesNotHoldUpTheRoom(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
	w := newWorldAt(t, 10, clk.Now)
	ctx := context.Background()
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.kv.Put(ctx, key, b, 0); err != nil {
			t.Fatal(err)
		}
	}
	entry := func(op string, claim string) map[string]any {
		return map[string]any{"op": op, "userId": "u-" + op, "gift": map[string]any{"giftId": "rose", "name": "Rose", "price": 30},
			"count": 1, "combo": 1, "claim": claim, "claimedAt": clk.Now().Unix()}
	}
	var marks []string
	for _, op := range []string{"a", "b", "c"} {
		marks = append(marks, "giftpending/r1/000000000001."+op)
		put(marks[len(marks)-1], entry(op, "stopped-flush"))
	}
	put("giftmergeout/r1/poison", map[string]any{"ops": []string{"a", "b", "c"}, "marks": marks, "ext": strings.Repeat("x", 9000)})
	put("giftpending/r1/000000000002.d", entry("d", ""))
	if _, err := w.svc.Flush(ctx, "r1"); err == nil {
		t.Fatal("the flush meeting the refused message reported success")
	}
	if _, err := w.svc.Flush(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if _, _, shown := w.giftMessages(t); shown != 1 {
		t.Fatalf("%d gifts shown, want the one queued after the refused message", shown)
	}
	clk.Advance(2 * time.Minute)
	if _, err := w.svc.Flush(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if _, _, shown := w.giftMessages(t); shown != 4 {
		t.Fatalf("%d gifts shown, want all 4 once", shown)
	}
	if left := w.kv.Snapshot(); hasPrefix(left, "giftpending/") || hasPrefix(left, "giftmergeout/") {
		t.Fatalf("entries left: %v", left)
	}
}

// holdFirst holds the first store call of op on a key starting with prefix until release is
// closed, as a stalled process would; held is closed when the call is held.
func (w *world) holdFirst(op, prefix string) (held, release chan struct{}) {
	held, release = make(chan struct{}), make(chan struct{})
	var holding atomic.Bool
	w.kv.SetFaults(func(o, key string) error {
		if o == op && strings.HasPrefix(key, prefix) && holding.CompareAndSwap(false, true) {
			close(held)
			<-release
		}
		return nil
	})
	return held, release
}
