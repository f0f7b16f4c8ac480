package roomstats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/store/memstore"
)

func mustGet(t *testing.T, s *Stats, room string) Counts {
	t.Helper()
	c, err := s.Get(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAnUntouchedRoomHasZeroCounts(t *testing.T) {
	s := New(memstore.New(nil), 0)
	if c := mustGet(t, s, "room-1"); c != (Counts{}) {
		t.Fatalf("counts %+v", c)
	}
}

func TestLikesAddUp(t *testing.T) {
	ctx := context.Background()
	s := New(memstore.New(nil), 0)
	for _, n := range []int64{1, 5, 0, -3} {
		if _, err := s.AddLikes(ctx, "room-1", n); err != nil {
			t.Fatal(err)
		}
	}
	total, err := s.AddLikes(ctx, "room-1", 1)
	if err != nil || total != 7 {
		t.Fatalf("total %d, %v; want 7 (non-positive additions change nothing)", total, err)
	}
	if c := mustGet(t, s, "room-1"); c.Likes != 7 {
		t.Fatalf("counts %+v", c)
	}
	if c := mustGet(t, s, "room-2"); c.Likes != 0 {
		t.Fatalf("another room has likes: %+v", c)
	}
}

func TestJoinAndLeaveMoveViewersAndPeak(t *testing.T) {
	ctx := context.Background()
	s := New(memstore.New(nil), 0)
	steps := []struct {
		op         string
		event      string
		members    int64
		wantChange bool
		want       Counts
	}{
		{"join", "j1", 300, true, Counts{Viewers: 300, PeakViewers: 300}},
		{"join", "j1", 300, false, Counts{Viewers: 300, PeakViewers: 300}}, // redelivered
		{"join", "j2", 2, true, Counts{Viewers: 302, PeakViewers: 302}},
		{"leave", "x1", 100, true, Counts{Viewers: 202, PeakViewers: 302}},
		{"leave", "x1", 100, false, Counts{Viewers: 202, PeakViewers: 302}}, // redelivered
		{"leave", "j2", 2, true, Counts{Viewers: 200, PeakViewers: 302}},    // an exit is not a join
		{"join", "", 1, true, Counts{Viewers: 201, PeakViewers: 302}},       // no identity: always counted
		{"join", "", 1, true, Counts{Viewers: 202, PeakViewers: 302}},
		{"join", "j3", 0, false, Counts{Viewers: 202, PeakViewers: 302}},
		{"leave", "x2", 202, true, Counts{Viewers: 0, PeakViewers: 302}},
		{"join", "j4", 400, true, Counts{Viewers: 400, PeakViewers: 400}},
	}
	for i, st := range steps {
		var changed bool
		var err error
		if st.op == "join" {
			changed, err = s.Join(ctx, "room-1", st.event, st.members)
		} else {
			changed, err = s.Leave(ctx, "room-1", st.event, st.members)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if changed != st.wantChange {
			t.Errorf("step %d (%s %s): changed %v, want %v", i, st.op, st.event, changed, st.wantChange)
		}
		if c := mustGet(t, s, "room-1"); c != st.want {
			t.Errorf("step %d (%s %s): counts %+v, want %+v", i, st.op, st.event, c, st.want)
		}
	}
}

func TestAMembershipCallbackTakesAFewStoreCallsWhateverItsSize(t *testing.T) {
	ctx := context.Background()
	for _, members := range []int64{1, 300, 100_000} {
		kv := memstore.New(nil)
		s := New(kv, 0)
		if _, err := s.Join(ctx, "room-1", "join-event", members); err != nil {
			t.Fatal(err)
		}
		if n := kv.TotalCalls(); n != 4 {
			t.Errorf("a join of %d members made %d store calls (%d PutIfAbsent, %d Add, %d Max), want 4",
				members, n, kv.Calls("PutIfAbsent"), kv.Calls("Add"), kv.Calls("Max"))
		}
		if _, err := s.Join(ctx, "room-1", "join-event", members); err != nil {
			t.Fatal(err)
		}
		if n := kv.TotalCalls(); n != 5 {
			t.Errorf("a redelivered join made %d store calls, want 1", n-4)
		}
		if _, err := s.Leave(ctx, "room-1", "exit-event", members); err != nil {
			t.Fatal(err)
		}
		if n := kv.TotalCalls(); n != 8 {
			t.Errorf("an exit of %d members made %d store calls, want 3", members, n-5)
		}
	}
}

func TestRedeliveredCallbacksFromManyGoroutinesCountOnce(t *testing.T) {
	ctx := context.Background()
	s := New(memstore.New(nil), 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counted := 0
	for range 20 {
		wg.Go(func() {
			ok, err := s.Join(ctx, "room-1", "join-event", 7)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				counted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if c := mustGet(t, s, "room-1"); c.Viewers != 7 || c.PeakViewers != 7 || counted != 1 {
		t.Fatalf("counts %+v after %d counted deliveries; want the callback counted once", c, counted)
	}
	for range 20 {
		wg.Go(func() {
			if _, err := s.Leave(ctx, "room-1", "exit-event", 7); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c := mustGet(t, s, "room-1"); c.Viewers != 0 || c.PeakViewers != 7 {
		t.Fatalf("counts %+v after a redelivered exit", c)
	}
}

func TestConcurrentJoinsReachTheirPeak(t *testing.T) {
	ctx := context.Background()
	s := New(memstore.New(nil), 0)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, err := s.Join(ctx, "room-1", fmt.Sprintf("join-%d", i), 10); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c := mustGet(t, s, "room-1"); c.Viewers != 500 || c.PeakViewers != 500 {
		t.Fatalf("counts %+v, want 500 viewers and a peak of 500", c)
	}
	for i := range 50 {
		wg.Go(func() {
			if _, err := s.Leave(ctx, "room-1", fmt.Sprintf("exit-%d", i), 10); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c := mustGet(t, s, "room-1"); c.Viewers != 0 || c.PeakViewers != 500 {
		t.Fatalf("counts %+v, want 0 viewers and a peak of 500", c)
	}
}

func TestViewersNeverGoBelowZero(t *testing.T) {
	ctx := context.Background()
	kv := memstore.New(nil)
	s := New(kv, 0)
	if _, err := s.Join(ctx, "room-1", "j1", 3); err != nil {
		t.Fatal(err)
	}
	// Concurrent exits of more viewers than were counted land at zero, not below.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			if _, err := s.Leave(ctx, "room-1", fmt.Sprintf("x%d", i), 2); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, err := kv.Counter(ctx, viewersKey("room-1")); err != nil || got != 0 {
		t.Fatalf("viewers counter %d, %v; want 0", got, err)
	}
	if _, err := s.Join(ctx, "room-1", "j2", 4); err != nil {
		t.Fatal(err)
	}
	if c := mustGet(t, s, "room-1"); c.Viewers != 4 || c.PeakViewers != 4 {
		t.Fatalf("counts %+v: joins after the room emptied must count from zero", c)
	}
	// A counter broken some other way still reads as 0.
	if _, err := kv.Delete(ctx, viewersKey("room-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Add(ctx, viewersKey("room-1"), -4); err != nil {
		t.Fatal(err)
	}
	if c := mustGet(t, s, "room-1"); c.Viewers != 0 {
		t.Fatalf("counts %+v", c)
	}
}

func TestCountedEventsAreRememberedForTheirTTL(t *testing.T) {
	ctx := context.Background()
	c := clock.NewManual(time.Unix(1700000000, 0))
	kv := memstore.New(c.Now)
	s := New(kv, time.Hour)
	if ok, _ := s.Join(ctx, "room-1", "j1", 1); !ok {
		t.Fatal("first join not counted")
	}
	if at, ok := kv.Expires(joinKey("room-1", "j1")); !ok || !at.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("event record TTL: expires %v, %v", at, ok)
	}
	c.Advance(59 * time.Minute)
	if ok, _ := s.Join(ctx, "room-1", "j1", 1); ok {
		t.Fatal("a repeat within the TTL was counted")
	}
	c.Advance(2 * time.Minute)
	if ok, _ := s.Join(ctx, "room-1", "j1", 1); !ok {
		t.Fatal("an event older than the TTL was not counted")
	}
	if s := New(kv, 0); s.remember != DefaultRemember {
		t.Fatalf("default TTL %v", s.remember)
	}
	ok, _ := s.AddMessageLikes(ctx, "room-1", "alice", 7, 1, 5*time.Minute)
	if at, recorded := kv.Expires(likeMessageKey("room-1", "alice", 7)); !ok || !recorded || !at.Equal(c.Now().Add(5*time.Minute)) {
		t.Fatalf("like record TTL: counted %v, expires %v, %v", ok, at, recorded)
	}
}

func TestAddMessageLikesCountsEachMessageOnce(t *testing.T) {
	ctx := context.Background()
	kv := memstore.New(nil)
	s := New(kv, 0)
	type like struct {
		room, from string
		random     uint64
		n          int64
		want       bool
	}
	for i, l := range []like{
		{"room-1", "alice", 1, 3, true},
		{"room-1", "alice", 1, 3, false}, // replayed
		{"room-1", "alice", 1, 50, false},
		{"room-1", "alice", 2, 1, true},
		{"room-1", "bob", 1, 1, true},
		{"room-2", "alice", 1, 4, true},
		{"room-1", "carol", 9, 0, false},
	} {
		ok, err := s.AddMessageLikes(ctx, l.room, l.from, l.random, l.n, time.Minute)
		if err != nil || ok != l.want {
			t.Fatalf("like %d: counted %v, %v; want %v", i, ok, err, l.want)
		}
	}
	if c1, c2 := mustGet(t, s, "room-1"), mustGet(t, s, "room-2"); c1.Likes != 5 || c2.Likes != 4 {
		t.Fatalf("likes %d and %d, want 5 and 4", c1.Likes, c2.Likes)
	}
}

func TestIDsCannotReachOtherKeys(t *testing.T) {
	pairs := [][2]string{
		{likesKey("a/likes"), likesKey("a%2Flikes")},
		{viewersKey("a/b"), viewersKey("a%2Fb")},
		{messageKey("a#b", "c"), messageKey("a", "b#c")},
		{messageKey("a%23b", "c"), messageKey("a#b", "c")},
		{messageKey("a/b", "c"), messageKey("a", "b/c")},
	}
	for _, p := range pairs {
		if p[0] == p[1] {
			t.Errorf("two different IDs share the key %q", p[0])
		}
	}
	if got := likesKey("@TGS#aBc123"); got != "room/@TGS%23aBc123/likes" {
		t.Errorf("likesKey = %q", got)
	}
	if got := likesKey("room-1"); got != "room/room-1/likes" {
		t.Errorf("plain ID escaped: %q", got)
	}
	if got := messageKey("r/1", "u%1"); got != "roommsg#r%2F1#u%251" {
		t.Errorf("messageKey = %q", got)
	}
	if strings.Contains(messageKey("a/b", "c/d"), "/") {
		t.Error("a message record landed in a directory")
	}
	for _, p := range [][2]string{
		{joinKey("a#b", "c"), joinKey("a", "b#c")},
		{joinKey("r", "e"), exitKey("r", "e")},
		{likeMessageKey("a#b", "c", 1), likeMessageKey("a", "b#c", 1)},
		{likeMessageKey("r", "a#1", 2), likeMessageKey("r", "a", 12)},
	} {
		if p[0] == p[1] {
			t.Errorf("two different events share the key %q", p[0])
		}
	}
	if got := likeMessageKey("r/1", "u#1", 42); got != "roomlike#r%2F1#u%231#42" {
		t.Errorf("likeMessageKey = %q", got)
	}
	if joinKey("r", "") != "" || strings.ContainsAny(joinKey("r/1", "e/1")+exitKey("r/1", "e/1"), "/") {
		t.Error("an event record landed in a directory, or an empty event got a key")
	}
}

func TestStoreErrorsAreReported(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("store down")
	for _, method := range []string{"PutIfAbsent", "Add", "Max"} {
		kv := memstore.New(nil)
		kv.SetFaults(memstore.FailCalls("", 0, boom, method))
		if _, err := New(kv, 0).Join(ctx, "room-1", "j1", 5); !errors.Is(err, boom) {
			t.Errorf("Join with %s failing: %v", method, err)
		}
	}
	for _, method := range []string{"PutIfAbsent", "Add"} {
		kv := memstore.New(nil)
		kv.SetFaults(memstore.FailCalls("", 0, boom, method))
		if _, err := New(kv, 0).Leave(ctx, "room-1", "x1", 5); !errors.Is(err, boom) {
			t.Errorf("Leave with %s failing: %v", method, err)
		}
		if _, err := New(kv, 0).AddMessageLikes(ctx, "room-1", "alice", 1, 1, 0); !errors.Is(err, boom) {
			t.Errorf("AddMessageLikes with %s failing: %v", method, err)
		}
	}
	kv := memstore.New(nil)
	kv.SetFaults(memstore.FailCalls("", 0, boom, "Counter"))
	if _, err := New(kv, 0).Get(ctx, "room-1"); !errors.Is(err, boom) {
		t.Errorf("Get: %v", err)
	}
	kv.SetFaults(memstore.FailCalls("", 0, boom, "Counter", "Add"))
	if _, err := New(kv, 0).AddLikes(ctx, "room-1", 1); !errors.Is(err, boom) {
		t.Errorf("AddLikes: %v", err)
	}
}

func TestAddMessageCountsEachMessageOnce(t *testing.T) {
	ctx := context.Background()
	s := New(memstore.New(nil), 0)
	for _, id := range []string{"room-1/1", "room-1/2", "room-1/1", "room-1/3", "room-1/2"} {
		if _, err := s.AddMessage(ctx, "room-1", id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddMessage(ctx, "room-2", "room-2/1"); err != nil {
		t.Fatal(err)
	}
	c, err := s.Get(ctx, "room-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Messages != 3 {
		t.Fatalf("messages %d, want 3: a redelivered callback was counted again", c.Messages)
	}
}
