package memstore_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/store/storetest"
)

var ctx = context.Background()

// TestContract holds the store to the rules every real adapter keeps, so that tests over it say
// something about the real stores.
func TestContract(t *testing.T) {
	storetest.RunWithClock(t, func(t *testing.T, now func() time.Time) store.KV { return memstore.New(now) })
}

func TestValuesExpireByTheGivenClock(t *testing.T) {
	c := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
	s := memstore.New(c.Now)
	if err := s.Put(ctx, "dedupe#1", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute - time.Nanosecond)
	if _, ok, err := s.Get(ctx, "dedupe#1"); err != nil || !ok {
		t.Fatalf("Get before the ttl = %v, %v; want the value", ok, err)
	}
	c.Advance(time.Nanosecond)
	if _, ok, err := s.Get(ctx, "dedupe#1"); err != nil || ok {
		t.Fatalf("Get at the ttl = %v, %v; want nothing", ok, err)
	}
	if snap := s.Snapshot(); len(snap) != 0 {
		t.Fatalf("Snapshot after expiry = %v", snap)
	}
}

func TestFailCallsFailsTheChosenCallsWithoutApplyingThem(t *testing.T) {
	s := memstore.New(nil)
	s.SetFaults(memstore.FailCalls("alice", 2, store.ErrUnavailable, "Put"))
	for i := range 2 {
		err := s.Put(ctx, "users/alice", []byte("v"), 0)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Put %d on alice: %v, want ErrUnavailable", i+1, err)
		}
		var se *store.Error
		if !errors.As(err, &se) || se.Op != "Put" || se.Key != "users/alice" {
			t.Fatalf("Put %d on alice: %#v, want a *store.Error naming the call", i+1, err)
		}
	}
	if snap := s.Snapshot(); len(snap) != 0 {
		t.Fatalf("failed calls stored %v", snap)
	}
	// Other keys and other methods were never failed; the third Put on alice runs.
	if err := s.Put(ctx, "users/bob", []byte("v"), 0); err != nil {
		t.Fatalf("Put on bob: %v", err)
	}
	if _, err := s.Add(ctx, "users/alice/likes", 1); err != nil {
		t.Fatalf("Add on alice: %v", err)
	}
	if err := s.Put(ctx, "users/alice", []byte("v"), 0); err != nil {
		t.Fatalf("third Put on alice: %v", err)
	}
	want := map[string]string{"users/alice": "v", "users/bob": "v", "users/alice/likes": "#1"}
	if snap := s.Snapshot(); !maps.Equal(snap, want) {
		t.Fatalf("Snapshot = %v, want %v", snap, want)
	}
	if got := s.Calls("Put"); got != 4 {
		t.Errorf("Calls(Put) = %d, want 4, failed calls included", got)
	}
	s.SetFaults(nil)
	if _, _, err := s.Get(ctx, "users/alice"); err != nil {
		t.Fatalf("Get with no faults: %v", err)
	}
}

func TestFaultErrorsBecomeStoreErrors(t *testing.T) {
	boom := errors.New("disk full")
	cases := []struct {
		name  string
		fault error
		kind  error
	}{
		{"a kind", store.ErrWrongKind, store.ErrWrongKind},
		{"another error", boom, store.ErrFailed},
		{"a store error", &store.Error{Op: "Get", Kind: store.ErrUnavailable, Err: boom}, store.ErrUnavailable},
	}
	for _, tc := range cases {
		s := memstore.New(nil)
		s.SetFaults(memstore.FailCalls("", 0, tc.fault))
		_, _, err := s.Get(ctx, "k")
		if !errors.Is(err, tc.kind) || !errors.Is(err, tc.fault) {
			t.Errorf("%s: Get failed with %v, want %v wrapping %v", tc.name, err, tc.kind, tc.fault)
		}
	}
}

func TestALostReplyAppliesTheWrite(t *testing.T) {
	s := memstore.New(nil)
	s.SetFaults(memstore.FailCalls("", 1, memstore.ErrReplyLost, "PutIfAbsent"))
	created, err := s.PutIfAbsent(ctx, "dedupe#1", []byte("v"), 0)
	if !errors.Is(err, store.ErrUnavailable) || created {
		t.Fatalf("PutIfAbsent with its reply lost = %v, %v; want false, ErrUnavailable", created, err)
	}
	if v, ok, err := s.Get(ctx, "dedupe#1"); err != nil || !ok || string(v) != "v" {
		t.Fatalf("Get = %q, %v, %v; want the value written despite the error", v, ok, err)
	}
	if created, err := s.PutIfAbsent(ctx, "dedupe#1", []byte("w"), 0); err != nil || created {
		t.Fatalf("the retried PutIfAbsent = %v, %v; want false, nil", created, err)
	}
}

func TestAddManyAsksTheHookForEachKeyAndAppliesAllOrNothing(t *testing.T) {
	s := memstore.New(nil)
	s.SetFaults(memstore.FailCalls("r2", 0, store.ErrUnavailable))
	err := s.AddMany(ctx, map[string]int64{"gifts/r1": 1, "gifts/r2": 1})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("AddMany touching r2: %v, want ErrUnavailable", err)
	}
	if snap := s.Snapshot(); len(snap) != 0 {
		t.Fatalf("a failed AddMany stored %v", snap)
	}
	s.SetFaults(nil)
	if err := s.Put(ctx, "gifts/r2", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMany(ctx, map[string]int64{"gifts/r1": 1, "gifts/r2": 1}); !errors.Is(err, store.ErrWrongKind) {
		t.Fatalf("AddMany on a value: %v, want ErrWrongKind", err)
	}
	if n, err := s.Counter(ctx, "gifts/r1"); err != nil || n != 0 {
		t.Fatalf("Counter after a refused AddMany = %d, %v; want 0", n, err)
	}
}

func TestAFaultHookMayBlockLikeAStuckBackend(t *testing.T) {
	s := memstore.New(nil)
	release := make(chan struct{})
	entered := make(chan struct{})
	s.SetFaults(func(op, key string) error {
		if op == "Add" {
			close(entered)
			<-release
		}
		return nil
	})
	done := make(chan error)
	go func() {
		_, err := s.Add(ctx, "likes", 1)
		done <- err
	}()
	<-entered
	// The store is not locked while the hook blocks.
	if _, _, err := s.Get(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("Add returned %v while its hook blocked", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Counter(ctx, "likes"); n != 1 {
		t.Fatalf("likes = %d, want 1", n)
	}
}

func TestAnEndedContextFailsBeforeTheHook(t *testing.T) {
	s := memstore.New(nil)
	s.SetFaults(func(op, key string) error {
		t.Errorf("the hook was asked about %s %s", op, key)
		return nil
	})
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(ended, "k", nil, 0); !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with an ended context: %v", err)
	}
}

func TestExpiresTellsWhenAValueExpires(t *testing.T) {
	c := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
	s := memstore.New(c.Now)
	if err := s.Put(ctx, "dedupe#1", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "rooms/r1", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "rooms/r1/likes", 1); err != nil {
		t.Fatal(err)
	}
	if at, ok := s.Expires("dedupe#1"); !ok || !at.Equal(c.Now().Add(time.Minute)) {
		t.Errorf("Expires(dedupe#1) = %v, %v; want a minute from now", at, ok)
	}
	if at, ok := s.Expires("rooms/r1"); !ok || !at.IsZero() {
		t.Errorf("Expires of a value kept forever = %v, %v; want the zero time", at, ok)
	}
	for _, key := range []string{"rooms/r1/likes", "absent"} {
		if at, ok := s.Expires(key); ok {
			t.Errorf("Expires(%s) = %v, true; want no value", key, at)
		}
	}
	c.Advance(time.Minute)
	if at, ok := s.Expires("dedupe#1"); ok {
		t.Errorf("Expires of an expired value = %v, true", at)
	}
	if got := s.TotalCalls(); got != 3 {
		t.Errorf("TotalCalls = %d, want the 3 calls made; Expires is not one", got)
	}
}

func TestTotalCallsCountsEveryMethod(t *testing.T) {
	s := memstore.New(nil)
	s.SetFaults(memstore.FailCalls("", 0, store.ErrUnavailable, "Get"))
	_, _, _ = s.Get(ctx, "k")
	_, _ = s.Add(ctx, "n", 1)
	_, _ = s.Counter(ctx, "n")
	_, _ = s.Delete(ctx, "k")
	if got := s.TotalCalls(); got != 4 {
		t.Fatalf("TotalCalls = %d, want 4, the failed Get included", got)
	}
}

func TestASplitAddManyAppliesWhatItCanAndListsTheRest(t *testing.T) {
	s := memstore.New(nil)
	s.SplitAddMany(true)
	deltas := map[string]int64{"gifts/r1": 1, "gifts/r2": 2, "gifts/r3": 3}
	s.SetFaults(func(op, key string) error {
		switch key {
		case "gifts/r2":
			return store.ErrUnavailable
		case "gifts/r3":
			return memstore.ErrReplyLost
		}
		return nil
	})
	err := s.AddMany(ctx, deltas)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("AddMany = %v, want ErrUnavailable", err)
	}
	if got := store.Unapplied(err, deltas); len(got) != 2 || got["gifts/r2"] != 2 || got["gifts/r3"] != 3 {
		t.Fatalf("Unapplied = %v, want r2 (failed) and r3 (reply lost)", got)
	}
	want := map[string]string{"gifts/r1": "#1", "gifts/r3": "#3"}
	if snap := s.Snapshot(); !maps.Equal(snap, want) {
		t.Fatalf("store after a split AddMany = %v, want %v", snap, want)
	}
}
