// Package backoff repeats failed operations with exponential, jittered delays: the one rule for
// how uriba retries an IM call, a Cloud API invocation or a batch of activities.
//
// A Policy says how many attempts an operation gets, how long it pauses between them and how long
// all of it may take. Retry runs the common loop; Start gives a caller that needs more control
// (a deadline per attempt, a log line per repeat, its own treatment of each failure) the same
// bookkeeping one step at a time.
package backoff

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Policy bounds the repetition of one operation. The zero Policy makes one attempt.
type Policy struct {
	// Attempts bounds the calls of the operation, the first included; 0 and 1 allow no repeat.
	Attempts int
	// Base is the delay before the first repeat; it doubles for each further one.
	Base time.Duration
	// Max caps one delay; 0 leaves delays uncapped.
	Max time.Duration
	// Budget caps the whole operation, attempts and delays together, counted from Start; 0 sets
	// no cap. A repeat starts only when MinAttempt of the budget is left for it after its delay.
	Budget time.Duration
	// MinAttempt is the least time of the budget worth starting another attempt with.
	MinAttempt time.Duration
	// Sleep pauses for d, or until ctx ends, when it returns ctx's error. Nil uses a timer; tests
	// set it to pause without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now tells the time for the budget; nil uses time.Now.
	Now func() time.Time
}

// Delay returns the pause before repeat n (1 for the first): Base doubled n-1 times and capped at
// Max, of which the upper half is random, so that callers that failed together do not all come
// back together. Delay(0) and a zero Base give 0.
func (p Policy) Delay(n int) time.Duration {
	if n < 1 || p.Base <= 0 {
		return 0
	}
	d := p.Base
	for i := 1; i < n; i++ {
		if p.Max > 0 && d >= p.Max {
			break
		}
		if d > math.MaxInt64/2 { // doubling again would overflow
			break
		}
		d *= 2
	}
	if p.Max > 0 && d > p.Max {
		d = p.Max
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// Wait pauses for d with the policy's Sleep, or until ctx ends, when it returns ctx's error.
func (p Policy) Wait(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p Policy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Run is the bookkeeping of one operation under a Policy: how many attempts were made and when
// the budget ends. It is not safe for concurrent use.
type Run struct {
	p        Policy
	attempts int
	deadline time.Time
}

// Start begins an operation under p; the budget counts from now.
func (p Policy) Start() *Run {
	r := &Run{p: p}
	if p.Budget > 0 {
		r.deadline = p.now().Add(p.Budget)
	}
	return r
}

// Attempt counts an attempt about to be made and returns its number, 1 for the first.
func (r *Run) Attempt() int {
	r.attempts++
	return r.attempts
}

// Remaining returns the budget left, and false when the policy has no budget.
func (r *Run) Remaining() (time.Duration, bool) {
	if r.deadline.IsZero() {
		return 0, false
	}
	return r.deadline.Sub(r.p.now()), true
}

// Next returns the delay before another attempt after the attempts counted so far, and false
// when the policy allows none: the attempts are spent, or the delay would leave less than
// MinAttempt of the budget.
func (r *Run) Next() (time.Duration, bool) {
	if r.attempts >= max(r.p.Attempts, 1) {
		return 0, false
	}
	d := r.p.Delay(r.attempts)
	if left, ok := r.Remaining(); ok && left-d < r.p.MinAttempt {
		return 0, false
	}
	return d, true
}

// Wait pauses for d, or until ctx ends, when it returns ctx's error.
func (r *Run) Wait(ctx context.Context, d time.Duration) error { return r.p.Wait(ctx, d) }

// permanent marks an error that must not be retried.
type permanent struct{ err error }

func (e *permanent) Error() string { return e.err.Error() }
func (e *permanent) Unwrap() error { return e.err }

// Permanent marks err as a failure that another attempt cannot mend: Retry returns it, without
// the mark, at once. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err}
}

// Retry calls op, numbering its attempts from 1, until op returns nil or an error marked with
// Permanent, the policy allows no further attempt, or ctx ends. It returns nil, or op's last error
// without a Permanent mark. When ctx ends during a pause the error wraps both op's last error and
// ctx's; when ctx has ended by the time op fails, op's error is returned as it is.
func Retry(ctx context.Context, p Policy, op func(attempt int) error) error {
	r := p.Start()
	for {
		err := op(r.Attempt())
		if err == nil {
			return nil
		}
		if perm, ok := err.(*permanent); ok {
			return perm.err
		}
		if _, ok := errors.AsType[*permanent](err); ok {
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		d, ok := r.Next()
		if !ok {
			return err
		}
		if werr := r.Wait(ctx, d); werr != nil {
			return fmt.Errorf("%w (then %w)", err, werr)
		}
	}
}
