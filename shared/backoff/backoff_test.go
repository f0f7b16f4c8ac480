package backoff_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/backoff"
	"github.com/uriba-live/uriba/shared/clock"
)

// fakeTime is a clock that only the policy's Sleep moves, and the test by hand.
type fakeTime struct {
	clock  *clock.Manual
	slept  []time.Duration
	cancel func() // called on the first pause when set
}

func (f *fakeTime) policy(p backoff.Policy) backoff.Policy {
	p.Now = f.clock.Now
	p.Sleep = func(ctx context.Context, d time.Duration) error {
		if f.cancel != nil {
			f.cancel()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		f.slept = append(f.slept, d)
		f.clock.Advance(d)
		return nil
	}
	return p
}

var errBusy = errors.New("busy")

func TestDelayDoublesIsCappedAndKeepsItsUpperHalf(t *testing.T) {
	p := backoff.Policy{Base: 100 * time.Millisecond, Max: time.Second}
	for n := 1; n <= 70; n++ {
		want := min(p.Base<<min(n-1, 20), p.Max)
		for range 50 {
			if d := p.Delay(n); d < want/2 || d > want {
				t.Fatalf("Delay(%d) = %v, want within [%v, %v]", n, d, want/2, want)
			}
		}
	}
	if d := p.Delay(0); d != 0 {
		t.Errorf("Delay(0) = %v, want 0", d)
	}
	uncapped := backoff.Policy{Base: time.Hour}
	if d := uncapped.Delay(200); d <= 0 {
		t.Errorf("an uncapped delay overflowed to %v", d)
	}
}

func TestDelayIsRandom(t *testing.T) {
	p := backoff.Policy{Base: time.Second}
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[p.Delay(3)] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 delays were all %v", seen)
	}
}

func TestRetryStopsAtTheAttempts(t *testing.T) {
	f := &fakeTime{clock: clock.NewManual(time.Unix(0, 0))}
	calls := 0
	err := backoff.Retry(context.Background(), f.policy(backoff.Policy{Attempts: 3, Base: 10 * time.Millisecond}),
		func(attempt int) error {
			calls++
			if attempt != calls {
				t.Errorf("attempt %d numbered %d", calls, attempt)
			}
			return errBusy
		})
	if err != errBusy || calls != 3 || len(f.slept) != 2 {
		t.Fatalf("err %v after %d calls and pauses %v, want busy after 3 calls and 2 pauses", err, calls, f.slept)
	}
	if f.slept[0] < 5*time.Millisecond || f.slept[0] > 10*time.Millisecond ||
		f.slept[1] < 10*time.Millisecond || f.slept[1] > 20*time.Millisecond {
		t.Errorf("pauses %v do not double from 10ms", f.slept)
	}
}

func TestRetryReturnsOnSuccess(t *testing.T) {
	f := &fakeTime{clock: clock.NewManual(time.Unix(0, 0))}
	calls := 0
	err := backoff.Retry(context.Background(), f.policy(backoff.Policy{Attempts: 5, Base: time.Millisecond}),
		func(int) error {
			if calls++; calls < 2 {
				return errBusy
			}
			return nil
		})
	if err != nil || calls != 2 {
		t.Fatalf("err %v after %d calls, want nil after 2", err, calls)
	}
}

func TestRetryGivesUpOnAPermanentError(t *testing.T) {
	calls := 0
	err := backoff.Retry(context.Background(), backoff.Policy{Attempts: 5, Base: time.Millisecond},
		func(int) error {
			calls++
			return backoff.Permanent(errBusy)
		})
	if err != errBusy || calls != 1 {
		t.Fatalf("err %v after %d calls, want busy, unmarked, after 1", err, calls)
	}
	wrapped := fmt.Errorf("call: %w", backoff.Permanent(errBusy))
	err = backoff.Retry(context.Background(), backoff.Policy{Attempts: 5}, func(int) error { return wrapped })
	if err != wrapped {
		t.Errorf("a wrapped permanent error came back as %v", err)
	}
	if backoff.Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
}

func TestRetryKeepsWithinTheBudget(t *testing.T) {
	f := &fakeTime{clock: clock.NewManual(time.Unix(0, 0))}
	calls := 0
	p := backoff.Policy{Attempts: 1000, Base: 100 * time.Millisecond, Max: 100 * time.Millisecond,
		Budget: time.Second, MinAttempt: 50 * time.Millisecond}
	start := f.clock.Now()
	err := backoff.Retry(context.Background(), f.policy(p), func(int) error {
		calls++
		if left := p.Budget - f.clock.Now().Sub(start); left < p.MinAttempt {
			t.Errorf("attempt %d started with %v of the budget left", calls, left)
		}
		f.clock.Advance(100 * time.Millisecond) // each attempt takes 100ms
		return errBusy
	})
	if err != errBusy || calls < 5 || calls > 7 {
		t.Fatalf("%d calls in %v: %v", calls, f.clock.Now().Sub(start), err)
	}
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeTime{clock: clock.NewManual(time.Unix(0, 0)), cancel: cancel}
	calls := 0
	err := backoff.Retry(ctx, f.policy(backoff.Policy{Attempts: 5, Base: time.Millisecond}), func(int) error {
		calls++
		return errBusy
	})
	if !errors.Is(err, errBusy) || !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("err %v after %d calls, want busy and canceled after 1", err, calls)
	}

	calls = 0
	err = backoff.Retry(ctx, backoff.Policy{Attempts: 5}, func(int) error {
		calls++
		return errBusy
	})
	if err != errBusy || calls != 1 {
		t.Fatalf("with an ended context: err %v after %d calls, want busy after 1", err, calls)
	}
}

func TestWaitUsesARealTimerWithoutAHook(t *testing.T) {
	p := backoff.Policy{}
	start := time.Now()
	if err := p.Wait(context.Background(), 20*time.Millisecond); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("Wait returned %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on an ended context returned %v", err)
	}
}

func TestRunReportsTheBudgetLeft(t *testing.T) {
	f := &fakeTime{clock: clock.NewManual(time.Unix(0, 0))}
	r := f.policy(backoff.Policy{Attempts: 3, Budget: time.Second}).Start()
	f.clock.Advance(300 * time.Millisecond)
	if left, ok := r.Remaining(); !ok || left != 700*time.Millisecond {
		t.Errorf("Remaining() = %v, %v; want 700ms, true", left, ok)
	}
	if _, ok := (backoff.Policy{}).Start().Remaining(); ok {
		t.Error("a policy without a budget reports one")
	}
	if _, ok := r.Next(); !ok {
		t.Error("Next refuses a repeat before any attempt was counted")
	}
}
