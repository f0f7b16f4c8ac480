package levels_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/bolt"
)

// t0 is a moment well inside a UTC day.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// openBolt returns an empty bolt store in a temporary file.
func openBolt(t testing.TB) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "levels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newUpdater returns an Updater over kv with the default rules, the clock and the effects.
func newUpdater(t testing.TB, kv store.KV, c *clock, effects levels.Announcer, tweak ...func(*levels.Config)) *levels.Updater {
	t.Helper()
	cfg := levels.Config{Rules: live.DefaultLevelRules(), Now: c.Now}
	for _, f := range tweak {
		f(&cfg)
	}
	u, err := levels.NewUpdater(kv, effects, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// act returns an activity of user in room-1 with the ID "room-1/<seq>", timed seq milliseconds
// after base.
func act(user string, kind live.ActivityKind, amount int64, seq int, base time.Time) live.Activity {
	return live.Activity{
		ID:     fmt.Sprintf("room-1/%d", seq),
		RoomID: "room-1",
		UserID: user,
		Kind:   kind,
		Amount: amount,
		At:     base.Add(time.Duration(seq) * time.Millisecond),
	}
}

// acts returns n activities of one kind and amount for user, with sequence numbers from first.
func acts(user string, kind live.ActivityKind, amount int64, first, n int, base time.Time) []live.Activity {
	out := make([]live.Activity, n)
	for i := range out {
		out[i] = act(user, kind, amount, first+i, base)
	}
	return out
}

// mustApply applies batch and fails the test when anything is reported failed.
func mustApply(t testing.TB, u *levels.Updater, batch []live.Activity) {
	t.Helper()
	failed, err := u.Apply(context.Background(), batch)
	if err != nil || len(failed) > 0 {
		t.Fatalf("Apply: failed %v, err %v", failed, err)
	}
}

// xpOf returns the XP of user.
func xpOf(t testing.TB, u *levels.Updater, user string) int64 {
	t.Helper()
	l, err := u.Get(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return l.XP
}

// effects is an Announcer that records calls and fails while told to.
type effects struct {
	mu        sync.Mutex
	fail      error // returned by every call while set
	setLevels []string
	announced []string
}

func (e *effects) SetLevel(_ context.Context, userID string, level int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail != nil {
		return e.fail
	}
	e.setLevels = append(e.setLevels, fmt.Sprintf("%s=%d", userID, level))
	return nil
}

func (e *effects) AnnounceLevelUp(_ context.Context, roomID, userID string, level int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail != nil {
		return e.fail
	}
	e.announced = append(e.announced, fmt.Sprintf("%s:%s=%d", roomID, userID, level))
	return nil
}

func (e *effects) setFail(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fail = err
}

func (e *effects) calls() (setLevels, announced []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.setLevels...), append([]string(nil), e.announced...)
}

// errTemporary is an effect failure that may pass.
var errTemporary = errors.New("im: rate limited")

// faultyKV fails the calls on keys that contain a marker while told to, with store.ErrUnavailable,
// and counts calls by method. failFirst, when positive, limits the failures to that many calls.
type faultyKV struct {
	store.KV
	mu        sync.Mutex
	marker    string
	failFirst int
	failOps   map[string]bool // the methods that fail; nil means all
	failures  int
	calls     map[string]int
}

func newFaultyKV(kv store.KV) *faultyKV { return &faultyKV{KV: kv, calls: map[string]int{}} }

func (f *faultyKV) failOn(marker string, first int, ops ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.marker, f.failFirst, f.failures = marker, first, 0
	f.failOps = nil
	if len(ops) > 0 {
		f.failOps = map[string]bool{}
		for _, op := range ops {
			f.failOps[op] = true
		}
	}
}

func (f *faultyKV) check(op, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.marker == "" || !strings.Contains(key, f.marker) || (f.failOps != nil && !f.failOps[op]) {
		return nil
	}
	if f.failFirst > 0 && f.failures >= f.failFirst {
		return nil
	}
	f.failures++
	return &store.Error{Op: op, Key: key, Kind: store.ErrUnavailable, Err: errors.New("throttled")}
}

func (f *faultyKV) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *faultyKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := f.check("Get", key); err != nil {
		return nil, false, err
	}
	return f.KV.Get(ctx, key)
}

func (f *faultyKV) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := f.check("PutIfAbsent", key); err != nil {
		return false, err
	}
	return f.KV.PutIfAbsent(ctx, key, value, ttl)
}

func (f *faultyKV) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	if err := f.check("CompareAndSwap", key); err != nil {
		return false, err
	}
	return f.KV.CompareAndSwap(ctx, key, old, new, ttl)
}

// lostReplyKV applies the next write on a key with a marker and then reports ErrUnavailable, as
// a store does when its reply is lost.
type lostReplyKV struct {
	store.KV
	marker string
	lose   atomic.Int32
}

func (l *lostReplyKV) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	ok, err := l.KV.CompareAndSwap(ctx, key, old, new, ttl)
	if err == nil && strings.Contains(key, l.marker) && l.lose.Add(-1) >= 0 {
		return false, &store.Error{Op: "CompareAndSwap", Key: key, Kind: store.ErrUnavailable, Err: errors.New("reply lost")}
	}
	return ok, err
}

func (l *lostReplyKV) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	ok, err := l.KV.PutIfAbsent(ctx, key, value, ttl)
	if err == nil && strings.Contains(key, l.marker) && l.lose.Add(-1) >= 0 {
		return false, &store.Error{Op: "PutIfAbsent", Key: key, Kind: store.ErrUnavailable, Err: errors.New("reply lost")}
	}
	return ok, err
}
