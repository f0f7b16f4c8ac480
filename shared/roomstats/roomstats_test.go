package roomstats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// memKV is an in-memory KV with expiring records, for tests.
type memKV struct {
	mu       sync.Mutex
	now      func() time.Time
	counters map[string]int64
	records  map[string]time.Time // expiry
	fail     map[string]error     // method name → error to return
	calls    map[string]int
}

func newMemKV() *memKV {
	return &memKV{
		now:      time.Now,
		counters: map[string]int64{},
		records:  map[string]time.Time{},
		fail:     map[string]error{},
		calls:    map[string]int{},
	}
}

func (m *memKV) enter(method string) error {
	m.mu.Lock()
	m.calls[method]++
	return m.fail[method]
}

func (m *memKV) Add(_ context.Context, key string, delta int64) (int64, error) {
	err := m.enter("Add")
	defer m.mu.Unlock()
	if err != nil {
		return 0, err
	}
	m.counters[key] += delta
	return m.counters[key], nil
}

func (m *memKV) Max(_ context.Context, key string, v int64) (int64, error) {
	err := m.enter("Max")
	defer m.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if cur, ok := m.counters[key]; !ok || v > cur {
		m.counters[key] = v
	}
	return m.counters[key], nil
}

func (m *memKV) Counter(_ context.Context, key string) (int64, error) {
	err := m.enter("Counter")
	defer m.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return m.counters[key], nil
}

func (m *memKV) PutIfAbsent(_ context.Context, key string, _ []byte, ttl time.Duration) (bool, error) {
	err := m.enter("PutIfAbsent")
	defer m.mu.Unlock()
	if err != nil {
		return false, err
	}
	if exp, ok := m.records[key]; ok && m.now().Before(exp) {
		return false, nil
	}
	m.records[key] = m.now().Add(ttl)
	return true, nil
}

func (m *memKV) Delete(_ context.Context, key string) (bool, error) {
	err := m.enter("Delete")
	defer m.mu.Unlock()
	if err != nil {
		return false, err
	}
	exp, ok := m.records[key]
	delete(m.records, key)
	return ok && m.now().Before(exp), nil
}

var _ KV = (*memKV)(nil)

func mustGet(t *testing.T, s *Stats, room string) Counts {
	t.Helper()
	c, err := s.Get(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAnUntouchedRoomHasZeroCounts(t *testing.T) {
	s := New(newMemKV(), 0)
	if c := mustGet(t, s, "room-1"); c != (Counts{}) {
		t.Fatalf("counts %+v", c)
	}
}

func TestLikesAddUp(t *testing.T) {
	ctx := context.Background()
	s := New(newMemKV(), 0)
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
	s := New(newMemKV(), 0)
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
	s := New(newMemKV(), 0)
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
	s := New(newMemKV(), 0)
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
	kv := newMemKV()
	s := New(kv, 0)
	if _, err := s.Join(ctx, "room-1", "alice"); err != nil {
		t.Fatal(err)
	}
	kv.counters[viewersKey("room-1")] = 0 // the counter was lost, the member record was not
	if left, err := s.Leave(ctx, "room-1", "alice"); err != nil || !left {
		t.Fatalf("leave: %v %v", left, err)
	}
	if got := kv.counters[viewersKey("room-1")]; got != 0 {
		t.Fatalf("viewers counter %d, want 0", got)
	}
	kv.counters[viewersKey("room-1")] = -4 // a counter broken some other way still reads as 0
	if c := mustGet(t, s, "room-1"); c.Viewers != 0 {
		t.Fatalf("counts %+v", c)
	}
}

func TestMemberRecordsExpire(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	now := time.Unix(1700000000, 0)
	kv.now = func() time.Time { return now }
	s := New(kv, time.Hour)
	if ok, _ := s.Join(ctx, "room-1", "alice"); !ok {
		t.Fatal("first join not counted")
	}
	if kv.records[memberKey("room-1", "alice")] != now.Add(time.Hour) {
		t.Fatalf("member record TTL: %v", kv.records)
	}
	now = now.Add(2 * time.Hour)
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
		kv := newMemKV()
		kv.fail[method] = boom
		if _, err := New(kv, 0).Join(ctx, "room-1", "alice"); !errors.Is(err, boom) {
			t.Errorf("Join with %s failing: %v", method, err)
		}
	}
	for _, method := range []string{"Delete", "Add"} {
		kv := newMemKV()
		s := New(kv, 0)
		if _, err := s.Join(ctx, "room-1", "alice"); err != nil {
			t.Fatal(err)
		}
		kv.fail[method] = boom
		if _, err := s.Leave(ctx, "room-1", "alice"); !errors.Is(err, boom) {
			t.Errorf("Leave with %s failing: %v", method, err)
		}
	}
	kv := newMemKV()
	kv.fail["Counter"] = boom
	if _, err := New(kv, 0).Get(ctx, "room-1"); !errors.Is(err, boom) {
		t.Errorf("Get: %v", err)
	}
	kv.fail["Add"] = boom
	if _, err := New(kv, 0).AddLikes(ctx, "room-1", 1); !errors.Is(err, boom) {
		t.Errorf("AddLikes: %v", err)
	}
}

func TestAJoinWritesOnlyWhenTheMemberIsNew(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	s := New(kv, 0)
	for range 3 {
		if _, err := s.Join(ctx, "room-1", "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if kv.calls["Add"] != 1 || kv.calls["Max"] != 1 || kv.calls["PutIfAbsent"] != 3 {
		t.Fatalf("calls %v: duplicates must stop at PutIfAbsent", kv.calls)
	}
}

func TestAddMessageCountsEachMessageOnce(t *testing.T) {
	ctx := context.Background()
	s := New(newMemKV(), 0)
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
