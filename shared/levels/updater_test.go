package levels_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue/inproc"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/memstore"
)

func TestTheSameBatchTwiceCreditsOnce(t *testing.T) {
	u := newUpdater(t, memstore.New(nil), clock.NewManual(t0), nil)
	batch := []live.Activity{
		act("alice", live.KindChat, 1, 1, t0),
		act("alice", live.KindChat, 1, 2, t0),
		act("bob", live.KindPurchase, 1, 3, t0),
		act("bob", live.KindGift, 30, 4, t0),
		act("alice", live.KindChat, 1, 5, t0),
	}
	for range 3 {
		mustApply(t, u, batch)
	}
	if got := xpOf(t, u, "alice"); got != 6 {
		t.Errorf("alice has %d XP, want 6 (three chats at 2)", got)
	}
	if got := xpOf(t, u, "bob"); got != 80 {
		t.Errorf("bob has %d XP, want 80 (a buy at 50 and 30 coins)", got)
	}
	if s := u.Stats(); s.Credited != 5 || s.Duplicates != 10 {
		t.Errorf("stats %+v, want 5 credited and 10 duplicates", s)
	}
}

func TestOverlappingBatchesCreditEachActivityOnce(t *testing.T) {
	u := newUpdater(t, memstore.New(nil), clock.NewManual(t0), nil)
	mustApply(t, u, acts("alice", live.KindGift, 1, 1, 10, t0))  // 1…10
	mustApply(t, u, acts("alice", live.KindGift, 1, 6, 10, t0))  // 6…15
	mustApply(t, u, acts("alice", live.KindGift, 1, 14, 10, t0)) // 14…23
	if got := xpOf(t, u, "alice"); got != 23 {
		t.Errorf("alice has %d XP, want 23", got)
	}
}

func TestDuplicateIDsInsideOneBatchCreditOnce(t *testing.T) {
	u := newUpdater(t, memstore.New(nil), clock.NewManual(t0), nil)
	a := act("alice", live.KindGift, 7, 1, t0)
	other := a
	other.Kind, other.Amount = live.KindPurchase, 1 // the same ID cannot earn twice under another kind
	mustApply(t, u, []live.Activity{a, a, other, a, act("alice", live.KindGift, 3, 2, t0)})
	if got := xpOf(t, u, "alice"); got != 10 {
		t.Errorf("alice has %d XP, want 10", got)
	}
	if s := u.Stats(); s.Duplicates != 3 {
		t.Errorf("%d duplicates counted, want 3", s.Duplicates)
	}
}

func TestRacingConsumersLoseNoCredit(t *testing.T) {
	kv := memstore.New(nil)
	c := clock.NewManual(t0.Add(time.Hour))
	// Two Updaters stand for two processes sharing the store.
	a := newUpdater(t, kv, c, nil, func(cfg *levels.Config) { cfg.Remember = 1024 })
	b := newUpdater(t, kv, c, nil, func(cfg *levels.Config) { cfg.Remember = 1024 })
	const consumers, batches, size = 8, 6, 10
	batchOf := func(g, i int) []live.Activity {
		out := make([]live.Activity, size)
		for j := range out {
			seq := (g*batches+i)*size + j
			out[j] = act("alice", live.KindGift, int64(seq%7+1), seq, t0)
			if j%3 == 0 {
				out[j].UserID = fmt.Sprintf("viewer-%d", j) // other users share the batches
			}
		}
		return out
	}
	var want int64
	for g := range consumers {
		for i := range batches {
			for _, x := range batchOf(g, i) {
				if x.UserID == "alice" {
					want += x.Amount
				}
			}
		}
	}
	var wg sync.WaitGroup
	for g := range consumers {
		u := a
		if g%2 == 1 {
			u = b
		}
		wg.Go(func() {
			for i := range batches {
				batch := batchOf(g, i)
				for {
					failed, err := u.Apply(context.Background(), batch)
					if len(failed) == 0 {
						break
					}
					t.Logf("consumer %d redelivers %d activities: %v", g, len(failed), err)
				}
				// Every batch is also redelivered to another consumer.
				if _, err := u.Apply(context.Background(), batchOf((g+1)%consumers, i)); err != nil {
					t.Logf("redelivery: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if got := xpOf(t, a, "alice"); got != want {
		t.Errorf("alice has %d XP after racing consumers, want %d", got, want)
	}
	t.Logf("conflicts recomputed: %d + %d", a.Stats().Conflicts, b.Stats().Conflicts)
}

func TestDailyCapHoldsAcrossBatches(t *testing.T) {
	kv := memstore.New(nil)
	u := newUpdater(t, kv, clock.NewManual(t0.Add(time.Hour)), nil)
	mustApply(t, u, acts("alice", live.KindLike, 1, 1, 60, t0))
	mustApply(t, u, acts("alice", live.KindLike, 1, 61, 60, t0))
	if got := xpOf(t, u, "alice"); got != 100 {
		t.Fatalf("alice has %d XP from 120 likes, want the cap of 100", got)
	}
	writes := kv.Calls("CompareAndSwap") + kv.Calls("PutIfAbsent")
	mustApply(t, u, acts("alice", live.KindLike, 1, 121, 50, t0))
	if w := kv.Calls("CompareAndSwap") + kv.Calls("PutIfAbsent"); w != writes {
		t.Errorf("a batch that earns nothing wrote the record %d times", w-writes)
	}
	// The cap of one kind leaves the others alone.
	mustApply(t, u, acts("alice", live.KindChat, 1, 200, 150, t0))
	if got := xpOf(t, u, "alice"); got != 300 {
		t.Errorf("alice has %d XP, want 100 from likes and 200 from chat", got)
	}
	if s := u.Stats(); s.Capped != 20+50+50 {
		t.Errorf("%d capped activities counted, want 120", s.Capped)
	}
}

func TestDailyCapFollowsTheUTCDay(t *testing.T) {
	day1 := time.Date(2025, 3, 14, 23, 58, 0, 0, time.UTC)
	day2 := day1.Add(3 * time.Minute) // 00:01 on the 15th
	c := clock.NewManual(day1.Add(time.Minute))
	u := newUpdater(t, memstore.New(nil), c, nil)

	mustApply(t, u, acts("alice", live.KindLike, 1, 1, 50, day1)) // 23:58:01…23:58:50
	mustApply(t, u, acts("alice", live.KindLike, 1, 51, 60, day1))
	if got := xpOf(t, u, "alice"); got != 100 {
		t.Fatalf("day 1: %d XP, want the cap of 100", got)
	}

	c.Set(day2.Add(time.Minute))
	mustApply(t, u, acts("alice", live.KindLike, 1, 1000, 30, day2))
	if got := xpOf(t, u, "alice"); got != 130 {
		t.Fatalf("day 2: %d XP, want 130: a new day has a new cap", got)
	}
	// A like from the evening before, delivered late, still counts against that day's cap.
	mustApply(t, u, []live.Activity{act("alice", live.KindLike, 1, 115, day1)})
	if got := xpOf(t, u, "alice"); got != 130 {
		t.Fatalf("a late like of a capped day earned XP: %d", got)
	}
	// So does a redelivered batch of day 1 processed on day 2.
	mustApply(t, u, acts("alice", live.KindLike, 1, 1, 50, day1))
	mustApply(t, u, acts("alice", live.KindLike, 1, 1020, 80, day2))
	if got := xpOf(t, u, "alice"); got != 200 {
		t.Fatalf("day 2: %d XP, want 200", got)
	}

	// Two days later the tallies of day 1 are gone; an even later like counts against today.
	c.Set(day2.Add(48 * time.Hour))
	mustApply(t, u, []live.Activity{act("alice", live.KindLike, 1, 2000, day1.Add(-time.Hour))})
	if got := xpOf(t, u, "alice"); got != 201 {
		t.Fatalf("day 4: %d XP, want 201", got)
	}
	mustApply(t, u, acts("alice", live.KindLike, 1, 3000, 120, day2.Add(48*time.Hour)))
	if got := xpOf(t, u, "alice"); got != 300 {
		t.Fatalf("day 4: %d XP, want 300: the late like counted against today's cap", got)
	}
}

func TestLevelUpEffectsRunOnceEvenWhenTheyFailFirst(t *testing.T) {
	fx := &effects{}
	u := newUpdater(t, memstore.New(nil), clock.NewManual(t0.Add(time.Hour)), fx)
	batch := []live.Activity{
		act("bob", live.KindPurchase, 1, 1, t0), // 50 XP: level 2
		act("alice", live.KindChat, 1, 2, t0),   // no level-up
		act("bob", live.KindChat, 1, 3, t0),
	}
	fx.setFail(errTemporary)
	failed, err := u.Apply(context.Background(), batch)
	if !slices.Equal(failed, []string{"room-1/1", "room-1/3"}) {
		t.Fatalf("failed %v, want bob's activities only", failed)
	}
	var applyErr *levels.ApplyError
	if !errors.As(err, &applyErr) || !errors.Is(err, errTemporary) || live.ErrorCode(err) != levels.CodeApplyFailed {
		t.Fatalf("err %v, want an ApplyError wrapping the effect's failure", err)
	}
	if got := xpOf(t, u, "bob"); got != 52 {
		t.Fatalf("bob has %d XP, want 52 recorded despite the failed effects", got)
	}

	fx.setFail(nil)
	for range 3 { // the redelivery runs the effects; later ones find them done
		mustApply(t, u, batch)
	}
	setLevels, announced := fx.calls()
	if !slices.Equal(setLevels, []string{"bob=2"}) || !slices.Equal(announced, []string{"room-1:bob=2"}) {
		t.Fatalf("effects: levels %v, announcements %v; want bob=2 once each", setLevels, announced)
	}
	if got := xpOf(t, u, "bob"); got != 52 {
		t.Fatalf("bob has %d XP after redeliveries, want 52", got)
	}

	// The next level-up is announced where it happens.
	up := act("bob", live.KindGift, 200, 4, t0)
	up.RoomID = "room-2"
	mustApply(t, u, []live.Activity{up})
	setLevels, announced = fx.calls()
	if !slices.Equal(setLevels, []string{"bob=2", "bob=3"}) || !slices.Equal(announced, []string{"room-1:bob=2", "room-2:bob=3"}) {
		t.Fatalf("effects: levels %v, announcements %v", setLevels, announced)
	}
	if s := u.Stats(); s.LevelUps != 2 || s.Announced != 2 {
		t.Errorf("stats %+v, want 2 level-ups, 2 announced", s)
	}
}

func TestLevelUpEffectsRunAfterACrashBeforeThem(t *testing.T) {
	kv := memstore.New(nil)
	c := clock.NewManual(t0.Add(time.Hour))
	batch := []live.Activity{act("bob", live.KindPurchase, 4, 1, t0)} // 200 XP: level 3
	// A consumer without effects stands for one that crashed after its write.
	mustApply(t, newUpdater(t, kv, c, nil), batch)

	fx := &effects{}
	u := newUpdater(t, kv, c, fx)
	mustApply(t, u, batch)
	mustApply(t, u, batch)
	setLevels, announced := fx.calls()
	if !slices.Equal(setLevels, []string{"bob=3"}) || !slices.Equal(announced, []string{"room-1:bob=3"}) {
		t.Fatalf("effects: levels %v, announcements %v; want the pending level-up once", setLevels, announced)
	}
}

func TestUndeliverableEffectsAreGivenUp(t *testing.T) {
	fx := &effects{}
	u := newUpdater(t, memstore.New(nil), clock.NewManual(t0.Add(time.Hour)), fx)
	fx.setFail(fmt.Errorf("%w: no such group", levels.ErrUndeliverable))
	batch := []live.Activity{act("bob", live.KindPurchase, 1, 1, t0)}
	mustApply(t, u, batch)
	fx.setFail(nil)
	mustApply(t, u, batch)
	if setLevels, announced := fx.calls(); len(setLevels)+len(announced) != 0 {
		t.Fatalf("an undeliverable level-up was retried: %v %v", setLevels, announced)
	}
	if s := u.Stats(); s.GivenUp != 1 {
		t.Errorf("%d level-ups given up, want 1", s.GivenUp)
	}
}

func TestBadActivitiesAreSkippedAndCounted(t *testing.T) {
	kv := memstore.New(nil)
	now := t0.Add(time.Hour)
	u := newUpdater(t, kv, clock.NewManual(now), nil)
	good := act("alice", live.KindGift, 5, 1, t0)
	mutate := func(f func(a *live.Activity)) live.Activity {
		a := good
		a.ID = fmt.Sprintf("bad-%d", len(good.ID)+int(a.Amount))
		f(&a)
		return a
	}
	batch := []live.Activity{
		mutate(func(a *live.Activity) { a.Kind = "dance"; a.ID = "x1" }),
		mutate(func(a *live.Activity) { a.Kind = ""; a.ID = "x2" }),
		mutate(func(a *live.Activity) { a.Amount = 0; a.ID = "x3" }),
		mutate(func(a *live.Activity) { a.Amount = -50; a.ID = "x4" }),
		mutate(func(a *live.Activity) { a.Amount = 1_000_001; a.ID = "x5" }),
		mutate(func(a *live.Activity) { a.ID = "" }),
		mutate(func(a *live.Activity) { a.UserID = ""; a.ID = "x7" }),
		mutate(func(a *live.Activity) { a.UserID = strings.Repeat("a", 33); a.ID = "x10" }),
		mutate(func(a *live.Activity) { a.UserID = "@TIM#SYSTEM"; a.ID = "x11" }),
		mutate(func(a *live.Activity) { a.At = time.Time{}; a.ID = "x8" }),
		mutate(func(a *live.Activity) { a.At = now.Add(time.Hour); a.ID = "x9" }),
	}
	failed, err := u.Apply(context.Background(), batch)
	if err != nil || len(failed) != 0 {
		t.Fatalf("bad activities were reported for redelivery: %v %v", failed, err)
	}
	if got := xpOf(t, u, "alice"); got != 0 {
		t.Fatalf("bad activities earned %d XP", got)
	}
	if n := kv.Calls("CompareAndSwap") + kv.Calls("PutIfAbsent") + kv.Calls("Get"); n != 1 {
		t.Errorf("bad activities cost %d store calls, want none (besides the Get of this test)", n-1)
	}
	if s := u.Stats(); s.UnknownKind != 2 || s.Rejected != 9 || s.Credited != 0 {
		t.Errorf("stats %+v, want 2 of unknown kind and 9 rejected", s)
	}
	mustApply(t, u, append(batch, good))
	if got := xpOf(t, u, "alice"); got != 5 {
		t.Errorf("the good activity among bad ones earned %d XP, want 5", got)
	}
}

func TestAStoreFailureFailsOnlyThatUser(t *testing.T) {
	kv := memstore.New(nil)
	u := newUpdater(t, kv, clock.NewManual(t0.Add(time.Hour)), nil)
	batch := []live.Activity{
		act("alice", live.KindGift, 1, 1, t0),
		act("carol", live.KindGift, 2, 2, t0),
		act("bob", live.KindGift, 3, 3, t0),
		act("carol", live.KindGift, 4, 4, t0),
		act("carol", "dance", 4, 5, t0),
	}
	kv.SetFaults(memstore.FailCalls("carol", 0, store.ErrUnavailable))
	failed, err := u.Apply(context.Background(), batch)
	if !slices.Equal(failed, []string{"room-1/2", "room-1/4"}) {
		t.Fatalf("failed %v, want carol's two valid activities", failed)
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("err %v, want one matching store.ErrUnavailable", err)
	}
	if got := kv.Calls("Get"); got != 1+2 {
		t.Errorf("%d Get calls, want one each for carol, alice and bob: the store adapter alone retries", got)
	}
	kv.SetFaults(nil)
	mustApply(t, u, batch)
	for user, want := range map[string]int64{"alice": 1, "bob": 3, "carol": 6} {
		if got := xpOf(t, u, user); got != want {
			t.Errorf("%s has %d XP, want %d", user, got, want)
		}
	}
}

func TestATransientStoreFailureIsLeftToRedelivery(t *testing.T) {
	kv := memstore.New(nil)
	u := newUpdater(t, kv, clock.NewManual(t0.Add(time.Hour)), nil)
	mustApply(t, u, []live.Activity{act("alice", live.KindGift, 1, 1, t0)})
	kv.SetFaults(memstore.FailCalls("alice", 1, store.ErrUnavailable, "CompareAndSwap"))
	batch := []live.Activity{act("alice", live.KindGift, 1, 2, t0)}
	failed, err := u.Apply(context.Background(), batch)
	if !slices.Equal(failed, []string{"room-1/2"}) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("failed %v, err %v; want the activity back for redelivery", failed, err)
	}
	if got := kv.Calls("CompareAndSwap"); got != 1 {
		t.Errorf("%d CompareAndSwap calls, want 1: an unavailable store is not asked again here", got)
	}
	mustApply(t, u, batch)
	mustApply(t, u, batch)
	if got := xpOf(t, u, "alice"); got != 2 {
		t.Errorf("alice has %d XP, want 2", got)
	}
}

func TestAWriteWhoseReplyWasLostCreditsOnce(t *testing.T) {
	kv := memstore.New(nil)
	u := newUpdater(t, kv, clock.NewManual(t0.Add(time.Hour)), nil)
	// The store applied each write but its reply was lost, so the batch fails and the queue
	// delivers it again.
	for i, batch := range [][]live.Activity{
		{act("alice", live.KindGift, 10, 1, t0)}, // the first write, a PutIfAbsent
		{act("alice", live.KindGift, 5, 2, t0)},  // a CompareAndSwap
	} {
		kv.SetFaults(memstore.FailCalls("alice", 1, memstore.ErrReplyLost, "PutIfAbsent", "CompareAndSwap"))
		if failed, err := u.Apply(context.Background(), batch); len(failed) != 1 || !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("batch %d: failed %v, err %v; want it back for redelivery", i, failed, err)
		}
		mustApply(t, u, batch)
	}
	if got := xpOf(t, u, "alice"); got != 15 {
		t.Errorf("alice has %d XP, want 15", got)
	}
}

func TestForgottenActivitiesAreRefusedAsLate(t *testing.T) {
	u := newUpdater(t, memstore.New(nil), clock.NewManual(t0.Add(time.Hour)), nil, func(c *levels.Config) { c.Remember = 4 })
	batch := acts("alice", live.KindGift, 1, 10, 6, t0) // seq 10…15
	mustApply(t, u, batch)
	mustApply(t, u, batch)
	if got := xpOf(t, u, "alice"); got != 6 {
		t.Fatalf("alice has %d XP, want 6", got)
	}
	if s := u.Stats(); s.Late != 2 || s.Duplicates != 4 {
		t.Errorf("stats %+v, want the 2 forgotten activities late and 4 duplicates", s)
	}
	// An activity never seen but older than the forgotten ones is refused too; a newer one is not.
	mustApply(t, u, []live.Activity{act("alice", live.KindGift, 1, 1, t0), act("alice", live.KindGift, 1, 20, t0)})
	if got := xpOf(t, u, "alice"); got != 7 {
		t.Fatalf("alice has %d XP, want 7", got)
	}
}

func TestEachUserRecordIsWrittenOncePerBatch(t *testing.T) {
	kv := memstore.New(nil)
	u := newUpdater(t, kv, clock.NewManual(t0.Add(time.Hour)), nil)
	var batch []live.Activity
	for i := range 100 {
		batch = append(batch, act(fmt.Sprintf("viewer-%d", i%7), live.KindGift, 1, i, t0))
	}
	mustApply(t, u, batch)
	mustApply(t, u, batch[:50])
	if w := kv.Calls("CompareAndSwap") + kv.Calls("PutIfAbsent"); w != 7 {
		t.Errorf("%d writes for 7 users, want 7", w)
	}
	if r := kv.Calls("Get"); r != 14 {
		t.Errorf("%d reads for 7 users in two batches, want 14", r)
	}
}

func TestANewUserIsAtLevelOne(t *testing.T) {
	u := newUpdater(t, memstore.New(nil), clock.NewManual(t0), nil)
	got, err := u.Get(context.Background(), "nobody")
	if err != nil {
		t.Fatal(err)
	}
	if want := (levels.Level{UserID: "nobody", XP: 0, Level: 1, NextLevelXP: 50}); got != want {
		t.Errorf("Get = %+v, want %+v", got, want)
	}
	mustApply(t, u, []live.Activity{act("someone/with#odd%id", live.KindPurchase, 5, 1, t0)})
	got, err = u.Get(context.Background(), "someone/with#odd%id")
	if err != nil {
		t.Fatal(err)
	}
	if want := (levels.Level{UserID: "someone/with#odd%id", XP: 250, Level: 3, NextLevelXP: 450}); got != want {
		t.Errorf("Get = %+v, want %+v", got, want)
	}
}

func TestNewUpdaterRefusesInvalidRules(t *testing.T) {
	rules := live.DefaultLevelRules()
	rules.Thresholds = []int64{10, 5}
	if _, err := levels.NewUpdater(memstore.New(nil), nil, levels.Config{Rules: rules}); err == nil {
		t.Error("NewUpdater accepted a decreasing curve")
	}
}

func TestTheInProcessQueueFeedsTheUpdater(t *testing.T) {
	u := newUpdater(t, memstore.New(nil), clock.NewManual(t0.Add(time.Hour)), nil)
	q, err := inproc.New(inproc.Config{Handle: u.Handle, BatchSize: 7, BatchWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	batch := acts("alice", live.KindGift, 2, 1, 30, t0)
	for _, a := range append(batch, batch[:10]...) { // the producer repeats some activities
		if err := q.Publish(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	q.Close()
	if got := xpOf(t, u, "alice"); got != 60 {
		t.Errorf("alice has %d XP, want 60", got)
	}
}
