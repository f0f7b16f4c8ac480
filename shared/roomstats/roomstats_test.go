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

var _ KV = (*memstore.Store)(nil)

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
		user       string
		wantChange bool
		want       Counts
	}{
		{"join", "alice", true, Counts{Viewers: 1, PeakViewers: 1}},
		{"join", "alice", false, Counts{Viewers: 1, PeakViewers: 1}},
		{"join", "bob", true, Counts{Viewers: 2, PeakViewers: 2}},
		{"leave", "alice", true, Counts{Viewers: 1, PeakViewers: 2}},
		{"leave", "alice", false, Counts{Viewers: 1, PeakViewers: 2}},
		{"leave", "carol", false, Counts{Viewers: 1, PeakViewers: 2}},
		{"leave", "bob", true, Counts{Viewers: 0, PeakViewers: 2}},
		{"join", "alice", true, Counts{Viewers: 1, PeakViewers: 2}},
	}
	for i, st := range steps {
		var changed bool
		var err error
		if st.op == "join" {
			changed, err = s.Join(ctx, "room-1", st.user)
		} else {
			changed, err = s.Leave(ctx, "room-1", st.user)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if changed != st.wantChange {
			t.Errorf("step %d (%s %s): changed %v, want %v", i, st.op, st.user, changed, st.wantChange)
		}
		if c := mustGet(t, s, "room-1"); c != st.want {
			t.Errorf("step %d (%s %s): counts %+v, want %+v", i, st.op, st.user, c, st.want)
		}
	}
}

func TestDuplicateJoinsFromManyGoroutinesCountOnce(t *testing.T) {
	ctx := context.Background()
	s := New(memstore.New(nil), 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	joined := 0
	for range 20 {
		wg.Go(func() {
			ok, err := s.Join(ctx, "room-1", "alice")
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				joined++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if c := mustGet(t, s, "room-1"); c.Viewers != 1 || c.PeakViewers != 1 || joined != 1 {
		t.Fatalf("counts %+v after %d successful joins; want exactly one viewer", c, joined)
	}

	for range 20 {
		wg.Go(func() {
			if _, err := s.Leave(ctx, "room-1", "alice"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c := mustGet(t, s, "room-1"); c.Viewers != 0 || c.PeakViewers != 1 {
		t.Fatalf("counts %+v after duplicate leaves", c)
	}
}

func TestConcurrentDistinctJoinsReachTheirPeak(t *testing.T) {
	ctx := context.Background()
	s := New(memstore.New(nil), 0)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, err := s.Join(ctx, "room-1", fmt.Sprintf("viewer-%d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c := mustGet(t, s, "room-1"); c.Viewers != 50 || c.PeakViewers != 50 {
		t.Fatalf("counts %+v, want 50 viewers and a peak of 50", c)
	}
	for i := range 50 {
		wg.Go(func() {
			if _, err := s.Leave(ctx, "room-1", fmt.Sprintf("viewer-%d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c := mustGet(t, s, "room-1"); c.Viewers != 0 || c.PeakViewers != 50 {
		t.Fatalf("counts %+v, want 0 viewers and a peak of 50", c)
	}
}

func TestViewersNeverGoBelowZero(t *testing.T) {
	ctx := context.Background()
	kv := memstore.New(nil)
	s := New(kv, 0)
	if _, err := s.Join(ctx, "room-1", "alice"); err != nil {
		t.Fatal(err)
	}
	// The counter was lost, the member record was not.
	if _, err := kv.Delete(ctx, viewersKey("room-1")); err != nil {
		t.Fatal(err)
	}
	if left, err := s.Leave(ctx, "room-1", "alice"); err != nil || !left {
		t.Fatalf("leave: %v %v", left, err)
	}
	if got, err := kv.Counter(ctx, viewersKey("room-1")); err != nil || got != 0 {
		t.Fatalf("viewers counter %d, %v; want 0", got, err)
	}
	// A counter broken some other way still reads as 0.
	if _, err := kv.Add(ctx, viewersKey("room-1"), -4); err != nil {
		t.Fatal(err)
	}
	if c := mustGet(t, s, "room-1"); c.Viewers != 0 {
		t.Fatalf("counts %+v", c)
	}
}

func TestMemberRecordsExpire(t *testing.T) {
	ctx := context.Background()
	c := clock.NewManual(time.Unix(1700000000, 0))
	kv := memstore.New(c.Now)
	s := New(kv, time.Hour)
	if ok, _ := s.Join(ctx, "room-1", "alice"); !ok {
		t.Fatal("first join not counted")
	}
	c.Advance(time.Hour - time.Nanosecond)
	if _, ok, err := kv.Get(ctx, memberKey("room-1", "alice")); err != nil || !ok {
		t.Fatalf("the member record is gone before its TTL: %v %v", ok, err)
	}
	c.Advance(time.Nanosecond)
	if _, ok, err := kv.Get(ctx, memberKey("room-1", "alice")); err != nil || ok {
		t.Fatalf("the member record outlived its TTL: %v %v", ok, err)
	}
	if left, _ := s.Leave(ctx, "room-1", "alice"); left {
		t.Fatal("an expired member record was subtracted")
	}
	if s := New(kv, 0); s.memberTTL != DefaultMemberTTL {
		t.Fatalf("default TTL %v", s.memberTTL)
	}
}

func TestIDsCannotReachOtherKeys(t *testing.T) {
	pairs := [][2]string{
		{likesKey("a/likes"), likesKey("a%2Flikes")},
		{viewersKey("a/b"), viewersKey("a%2Fb")},
		{memberKey("a#b", "c"), memberKey("a", "b#c")},
		{memberKey("a%23b", "c"), memberKey("a#b", "c")},
		{memberKey("a/b", "c"), memberKey("a", "b/c")},
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
	if got := memberKey("r/1", "u%1"); got != "roommember#r%2F1#u%251" {
		t.Errorf("memberKey = %q", got)
	}
	if strings.Contains(memberKey("a/b", "c/d"), "/") {
		t.Error("a member record landed in a directory")
	}
}

func TestStoreErrorsAreReported(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("store down")
	for _, method := range []string{"PutIfAbsent", "Add", "Max"} {
		kv := memstore.New(nil)
		kv.SetFaults(memstore.FailCalls("", 0, boom, method))
		if _, err := New(kv, 0).Join(ctx, "room-1", "alice"); !errors.Is(err, boom) {
			t.Errorf("Join with %s failing: %v", method, err)
		}
	}
	for _, method := range []string{"Delete", "Add"} {
		kv := memstore.New(nil)
		s := New(kv, 0)
		if _, err := s.Join(ctx, "room-1", "alice"); err != nil {
			t.Fatal(err)
		}
		kv.SetFaults(memstore.FailCalls("", 0, boom, method))
		if _, err := s.Leave(ctx, "room-1", "alice"); !errors.Is(err, boom) {
			t.Errorf("Leave with %s failing: %v", method, err)
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

func TestAJoinWritesOnlyWhenTheMemberIsNew(t *testing.T) {
	ctx := context.Background()
	kv := memstore.New(nil)
	s := New(kv, 0)
	for range 3 {
		if _, err := s.Join(ctx, "room-1", "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if kv.Calls("Add") != 1 || kv.Calls("Max") != 1 || kv.Calls("PutIfAbsent") != 3 {
		t.Fatalf("calls Add %d, Max %d, PutIfAbsent %d: duplicates must stop at PutIfAbsent",
			kv.Calls("Add"), kv.Calls("Max"), kv.Calls("PutIfAbsent"))
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
