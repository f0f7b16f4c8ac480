package gifts_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/gifts"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/memstore"
)

// TestAGiftIsCountedInTheRoomOnceWhenTheStoreFailsHalfway fails part of the update of the
// room's totals, and the queueing of the XP, for a gift announced on its own and for one
// announced merged. The gift is still billed and shown; what failed is recorded in the gift and
// made by the next sweep, once; sweeping again changes nothing.
func TestAGiftIsCountedInTheRoomOnceWhenTheStoreFailsHalfway(t *testing.T) {
	for _, c := range []struct {
		name string
		// perSecond is the room's message budget; gifts is how many the viewer sends, the last
		// of which meets the failure.
		perSecond, gifts int
		// part names the counter whose update fails.
		part string
	}{
		{"announced on its own, the room's coins failing", 10, 1, "room/r1/coins"},
		{"announced on its own, the gifter's count failing", 10, 1, "#gifts"},
		{"announced merged, the room's gifts failing", 2, 3, "room/r1/gifts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
			w := newWorldAt(t, c.perSecond, clk.Now)
			w.kv.SplitAddMany(true)
			w.viewer(t, "gina", 1000)
			ctx := context.Background()
			for i := range c.gifts - 1 {
				if _, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "gina", GiftID: "rose", Count: 1, Key: fmt.Sprint("ok", i)}); err != nil {
					t.Fatal(err)
				}
			}
			w.kv.SetFaults(memstore.FailCalls(c.part, 1, store.ErrUnavailable, "AddMany"))
			w.queued.fail = 1
			last := gifts.SendParams{RoomID: "r1", UserID: "gina", GiftID: "rose", Count: 2, Key: "failing"}
			got, err := w.svc.Send(ctx, last)
			if err != nil || got.Balance != 1000-30*int64(c.gifts+1) {
				t.Fatalf("the gift meeting the failure: %+v, %v; want it billed", got, err)
			}
			w.kv.SetFaults(nil)
			// One second later the merged gifts are announced; a minute later the sweep comes.
			clk.Advance(time.Second)
			if _, err := w.svc.Flush(ctx, "r1"); err != nil {
				t.Fatal(err)
			}
			wantGifts, wantCoins := int64(c.gifts+1), 30*int64(c.gifts+1)
			before := w.totals(t)
			if before.Gifts == wantGifts && before.Coins == wantCoins && before.TopGifters[0].Gifts == wantGifts {
				t.Fatalf("totals %+v before the sweep: the failure did not fail anything", before)
			}
			clk.Advance(2 * time.Minute)
			for range 2 {
				w.svc.Sweep(ctx, []string{"r1"})
				tot := w.totals(t)
				if tot.Gifts != wantGifts || tot.Coins != wantCoins {
					t.Fatalf("totals after the sweep: %d gifts, %d coins; want %d, %d", tot.Gifts, tot.Coins, wantGifts, wantCoins)
				}
				if len(tot.TopGifters) != 1 || tot.TopGifters[0].Gifts != wantGifts || tot.TopGifters[0].Coins != wantCoins {
					t.Fatalf("gifters after the sweep: %+v", tot.TopGifters)
				}
			}
			ledger, n, err := w.svc.LedgerCoins(ctx, "r1")
			if err != nil || ledger != wantCoins || n != int64(c.gifts) {
				t.Fatalf("ledger %d coins in %d gifts, %v", ledger, n, err)
			}
			if single, merged, _ := w.giftMessages(t); single+merged == 0 || (c.perSecond == 10 && single != c.gifts) {
				t.Fatalf("%d single and %d merged gift messages", single, merged)
			}
			w.queued.mu.Lock()
			defer w.queued.mu.Unlock()
			if len(w.queued.ids) != c.gifts {
				t.Fatalf("XP queued for %d gifts, want %d: %v", len(w.queued.ids), c.gifts, w.queued.ids)
			}
			if left := w.kv.Snapshot(); hasPrefix(left, "giftpending/") {
				t.Fatalf("pending entries left after the sweep: %v", left)
			}
		})
	}
}

func (w *world) totals(t *testing.T) roomstats.Totals {
	t.Helper()
	tot, err := w.svc.Sales().Totals(context.Background(), "r1", 10)
	if err != nil {
		t.Fatal(err)
	}
	return tot
}

// hasPrefix reports whether a key of m starts with prefix.
func hasPrefix(m map[string]string, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// TestAnOrderIsCountedOnceWhenTheStoreFailsHalfwayAndReportsRepeat fails part of the update of
// the room's totals for an order: the report fails, and its repeats, some at the same time,
// count what is left once.
func TestAnOrderIsCountedOnceWhenTheStoreFailsHalfwayAndReportsRepeat(t *testing.T) {
	w := newWorld(t, 10)
	w.kv.SplitAddMany(true)
	ctx := context.Background()
	p := live.Purchase{OrderID: "o-9", UserID: "hana", ProductID: "tea", ProductName: "Tea", Quantity: 3, Amount: "12.50", Currency: "USD"}
	w.kv.SetFaults(memstore.FailCalls("roomrevenue/", 1, store.ErrUnavailable, "AddMany"))
	if _, err := w.svc.Purchase(ctx, "r1", p); live.ErrorCode(err) != live.EStoreUnavailable {
		t.Fatalf("the report meeting the failure: %v, want store_unavailable", err)
	}
	w.kv.SetFaults(nil)
	if s, _ := w.svc.Sales().Totals(ctx, "r1", 10); s.Revenue["USD"] == "12.5" || s.Units != 3 {
		t.Fatalf("totals after the failure %+v: the revenue should be missing and the units counted", s)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := w.svc.Purchase(ctx, "r1", p); err != nil && live.ErrorCode(err) != live.EConflict {
				t.Errorf("repeat: %v", err)
			}
		})
	}
	wg.Wait()
	if _, err := w.svc.Purchase(ctx, "r1", p); err != nil {
		t.Fatal(err)
	}
	s, err := w.svc.Sales().Totals(ctx, "r1", 10)
	if err != nil || s.Orders != 1 || s.Units != 3 || s.Revenue["USD"] != "12.5" || len(s.Products) != 1 || s.Products[0].Units != 3 || s.Products[0].Revenue["USD"] != "12.5" {
		t.Fatalf("totals after the repeats: %+v %v", s, err)
	}
}
