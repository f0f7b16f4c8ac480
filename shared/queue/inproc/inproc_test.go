package inproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
)

// recorder is a Handler that records the batches it receives.
type recorder struct {
	mu      sync.Mutex
	batches [][]live.Activity
	got     chan int // receives each batch's size
}

func newRecorder() *recorder { return &recorder{got: make(chan int, 1000)} }

func (r *recorder) handle(_ context.Context, batch []live.Activity) error {
	r.mu.Lock()
	r.batches = append(r.batches, batch)
	r.mu.Unlock()
	r.got <- len(batch)
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, b := range r.batches {
		for _, a := range b {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []int
	for _, b := range r.batches {
		s = append(s, len(b))
	}
	return s
}

func activities(prefix string, n int) []live.Activity {
	out := make([]live.Activity, n)
	for i := range out {
		out[i] = live.Activity{ID: fmt.Sprintf("%s-%d", prefix, i), RoomID: "room-1", UserID: "alice", Kind: live.KindChat, Amount: 1}
	}
	return out
}

func newQueue(t *testing.T, cfg Config) *Queue {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	q, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q
}

func TestBatchesAreCutAtBatchSizeAndTheRestIsDrainedOnClose(t *testing.T) {
	rec := newRecorder()
	q := newQueue(t, Config{Handle: rec.handle, BatchSize: 10, BatchWait: time.Hour})
	if err := q.Publish(context.Background(), activities("a", 25)...); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case n := <-rec.got:
			if n != 10 {
				t.Fatalf("batch of %d, want 10", n)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("full batches were not handled")
		}
	}
	select {
	case n := <-rec.got:
		t.Fatalf("a batch of %d was handled before BatchWait or Close", n)
	case <-time.After(50 * time.Millisecond):
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rec.sizes(); fmt.Sprint(got) != "[10 10 5]" {
		t.Fatalf("batch sizes %v", got)
	}
	ids := rec.ids()
	for i, id := range ids {
		if want := fmt.Sprintf("a-%d", i); id != want {
			t.Fatalf("activity %d is %s, want %s: order must be kept", i, id, want)
		}
	}
	if s := q.Stats(); s.Published != 25 || s.Delivered != 25 || s.Pending != 0 || s.Failed != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestAPartialBatchIsHandledAfterBatchWait(t *testing.T) {
	rec := newRecorder()
	q := newQueue(t, Config{Handle: rec.handle, BatchSize: 100, BatchWait: 30 * time.Millisecond})
	start := time.Now()
	if err := q.Publish(context.Background(), activities("a", 3)...); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-rec.got:
		if n != 3 {
			t.Fatalf("batch of %d, want 3", n)
		}
		if waited := time.Since(start); waited < 25*time.Millisecond || waited > 2*time.Second {
			t.Fatalf("handled after %v, want about BatchWait (30ms)", waited)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the partial batch was never handled")
	}
}

// blocker is a Handler that holds the consumer until released.
type blocker struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blocker) handle(ctx context.Context, _ []live.Activity) error {
	b.entered <- struct{}{}
	<-b.release
	return nil
}

func TestPublishWaitsNoLongerThanItsContextWhenFull(t *testing.T) {
	b := &blocker{entered: make(chan struct{}, 10), release: make(chan struct{})}
	q := newQueue(t, Config{Handle: b.handle, Buffer: 4, BatchSize: 1, BatchWait: time.Millisecond})
	ctx := context.Background()
	if err := q.Publish(ctx, activities("first", 1)...); err != nil {
		t.Fatal(err)
	}
	<-b.entered // the consumer holds "first"; the buffer is empty again
	if err := q.Publish(ctx, activities("fill", 4)...); err != nil {
		t.Fatal(err)
	}

	tctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := q.Publish(tctx, activities("late", 1)...)
	if !errors.Is(err, queue.ErrFull) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish on a full queue: %v", err)
	}
	if live.ErrorCode(err) != queue.CodeFull {
		t.Fatalf("code %q", live.ErrorCode(err))
	}
	if waited := time.Since(start); waited > time.Second {
		t.Fatalf("Publish blocked for %v with a 30ms context", waited)
	}

	// A publisher with time to spare gets in once the consumer frees room.
	done := make(chan error, 1)
	go func() { done <- q.Publish(ctx, activities("patient", 1)...) }()
	select {
	case err := <-done:
		t.Fatalf("Publish returned %v while the queue was full", err)
	case <-time.After(30 * time.Millisecond):
	}
	close(b.release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting publisher was never let in")
	}
}

func TestMoreActivitiesThanTheBufferFailAtOnce(t *testing.T) {
	q := newQueue(t, Config{Handle: newRecorder().handle, Buffer: 4})
	if err := q.Publish(context.Background(), activities("a", 5)...); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("Publish of 5 into a buffer of 4: %v", err)
	}
	if s := q.Stats(); s.Published != 0 {
		t.Fatalf("stats %+v: nothing may be accepted", s)
	}
}

func TestPublishAfterCloseFails(t *testing.T) {
	q := newQueue(t, Config{Handle: newRecorder().handle})
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Publish(context.Background(), activities("a", 1)...); !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := q.Publish(context.Background()); err != nil {
		t.Fatalf("publishing nothing: %v", err)
	}
}

func TestCloseReleasesWaitingPublishers(t *testing.T) {
	b := &blocker{entered: make(chan struct{}, 10), release: make(chan struct{})}
	q := newQueue(t, Config{Handle: b.handle, Buffer: 1, BatchSize: 1, BatchWait: time.Millisecond})
	blocked := make(chan struct{}, 1)
	q.waiting = func() {
		select {
		case blocked <- struct{}{}:
		default:
		}
	}
	ctx := context.Background()
	_ = q.Publish(ctx, activities("first", 1)...)
	<-b.entered
	_ = q.Publish(ctx, activities("second", 1)...)
	waiting := make(chan error, 1)
	go func() { waiting <- q.Publish(ctx, activities("third", 1)...) }()
	<-blocked // the third publisher waits for room
	closed := make(chan struct{})
	go func() { _ = q.Close(); close(closed) }()
	select {
	case err := <-waiting:
		if !errors.Is(err, queue.ErrClosed) {
			t.Fatalf("waiting publisher: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the waiting publisher")
	}
	close(b.release)
	<-closed
	if s := q.Stats(); s.Delivered != 2 {
		t.Fatalf("stats %+v: the two accepted activities must be drained", s)
	}
}

func TestFailedBatchesAreRetriedThenDropped(t *testing.T) {
	var mu sync.Mutex
	attempts := map[string]int{}
	handle := func(_ context.Context, batch []live.Activity) error {
		mu.Lock()
		defer mu.Unlock()
		attempts[batch[0].ID]++
		switch batch[0].ID {
		case "flaky-0":
			if attempts["flaky-0"] < 3 {
				return errors.New("try again")
			}
			return nil
		case "panics-0":
			panic("handler bug")
		default:
			return errors.New("always fails")
		}
	}
	q := newQueue(t, Config{Handle: handle, BatchSize: 1, BatchWait: time.Millisecond, RetryDelay: time.Millisecond, MaxAttempts: 3})
	ctx := context.Background()
	for _, p := range []string{"flaky", "broken", "panics"} {
		if err := q.Publish(ctx, activities(p, 1)...); err != nil {
			t.Fatal(err)
		}
	}
	_ = q.Close()
	mu.Lock()
	defer mu.Unlock()
	if attempts["flaky-0"] != 3 || attempts["broken-0"] != 3 || attempts["panics-0"] != 3 {
		t.Fatalf("attempts %v, want 3 each", attempts)
	}
	if s := q.Stats(); s.Delivered != 1 || s.Failed != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestConcurrentPublishersLoseNothing(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	handle := func(_ context.Context, batch []live.Activity) error {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range batch {
			seen[a.ID]++
		}
		return nil
	}
	q := newQueue(t, Config{Handle: handle, Buffer: 64, BatchSize: 16, BatchWait: time.Millisecond})
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() {
			for i := range 500 {
				a := live.Activity{ID: fmt.Sprintf("p%d-%d", p, i)}
				if err := q.Publish(context.Background(), a); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	_ = q.Close()
	if len(seen) != 4000 {
		t.Fatalf("%d distinct activities handled, want 4000", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s handled %d times", id, n)
		}
	}
}

func TestConfigIsChecked(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("a queue without a Handle was started")
	}
	if _, err := New(Config{Handle: newRecorder().handle, Buffer: -1}); err == nil {
		t.Error("a negative buffer was accepted")
	}
	q, err := New(Config{Handle: newRecorder().handle, Buffer: 8, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.cfg.BatchSize != 8 || q.cfg.BatchWait != DefaultBatchWait || q.cfg.MaxAttempts != DefaultMaxAttempts {
		t.Fatalf("settings %+v", q.cfg)
	}
}

func TestAnActivityDueLaterIsHeldThenHandedOverAheadOfTheBacklog(t *testing.T) {
	release := make(chan struct{})
	busy := make(chan struct{}, 10)
	var mu sync.Mutex
	var order []string
	q, err := New(Config{BatchSize: 1, Handle: func(_ context.Context, batch []live.Activity) error {
		busy <- struct{}{}
		<-release // the consumer is slow: a backlog builds up
		mu.Lock()
		order = append(order, batch[0].ID)
		mu.Unlock()
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := q.Publish(context.Background(), live.Activity{ID: fmt.Sprint("backlog-", i)}); err != nil {
			t.Fatal(err)
		}
	}
	due := time.Now().Add(30 * time.Millisecond)
	if err := q.Publish(context.Background(), live.Activity{ID: "due", NotBefore: due}); err != nil {
		t.Fatal(err)
	}
	<-busy // the consumer holds the first activity
	if got := q.Stats().Pending; got != 5 {
		t.Fatalf("pending %d, want the 4 waiting and the one held", got)
	}
	time.Sleep(time.Until(due) + 20*time.Millisecond) // let the held activity fall due
	for range 6 {
		release <- struct{}{}
	}
	_ = q.Close()
	// The first backlog activity was already taken; the due one comes right after it.
	if len(order) != 6 || order[1] != "due" {
		t.Fatalf("handled %v, want the due activity second", order)
	}
}

func TestCloseHandsOverHeldActivities(t *testing.T) {
	r := newRecorder()
	q, err := New(Config{Handle: r.handle})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Publish(context.Background(), live.Activity{ID: "later", NotBefore: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_ = q.Close()
	if ids := r.ids(); len(ids) != 1 || ids[0] != "later" {
		t.Fatalf("handled %v, want the held activity handed over on Close", ids)
	}
}

func TestAMixOfDueAndLaterActivitiesIsAcceptedAllOrNone(t *testing.T) {
	b := &blocker{entered: make(chan struct{}, 10), release: make(chan struct{})}
	q := newQueue(t, Config{Handle: b.handle, Buffer: 1, BatchSize: 1, BatchWait: time.Millisecond})
	t.Cleanup(func() { close(b.release) }) // before Close, which waits for the consumer
	ctx := context.Background()
	if err := q.Publish(ctx, activities("first", 1)...); err != nil {
		t.Fatal(err)
	}
	<-b.entered // the consumer holds "first"
	if err := q.Publish(ctx, activities("fill", 1)...); err != nil {
		t.Fatal(err)
	}
	later := live.Activity{ID: "later", NotBefore: time.Now().Add(time.Hour)}
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := q.Publish(tctx, later, activities("due", 1)[0]); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("Publish into a full buffer: %v", err)
	}
	if s := q.Stats(); s.Published != 2 || s.Pending != 1 {
		t.Fatalf("stats %+v: the activity due later was accepted without the one due now", s)
	}
}
