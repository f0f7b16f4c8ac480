package levels_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// t0 is a moment well inside a UTC day.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// newUpdater returns an Updater over kv with the default rules, the clock and the effects.
func newUpdater(t testing.TB, kv store.KV, c *clock.Manual, effects levels.Announcer, tweak ...func(*levels.Config)) *levels.Updater {
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
