// Package inproc is an in-process activity queue: a bounded buffer that one consumer goroutine
// empties in batches. It serves development, tests and any deployment where the producer and the
// consumer share a process. Activities still in the buffer when the process dies are lost.
package inproc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uriba-live/uriba/shared/backoff"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
)

// Handler consumes one batch of activities. A returned error, or a panic, makes the queue retry
// the whole batch, so a Handler must tolerate activities it has seen before. It may keep the batch
// but must not modify it.
type Handler func(ctx context.Context, batch []live.Activity) error

// Defaults of Config.
const (
	DefaultBuffer        = 4096
	DefaultBatchSize     = 100
	DefaultBatchWait     = 200 * time.Millisecond
	DefaultMaxAttempts   = 3
	DefaultRetryDelay    = 100 * time.Millisecond
	DefaultHandleTimeout = 30 * time.Second
)

// Config configures a Queue. Zero values take the defaults above.
type Config struct {
	// Handle consumes batches. It is required.
	Handle Handler
	// Buffer is how many activities may wait in the queue.
	Buffer int
	// BatchSize is the most activities handed to one Handle call.
	BatchSize int
	// BatchWait is the longest an activity waits for a batch to fill before the batch is
	// handled anyway.
	BatchWait time.Duration
	// MaxAttempts bounds the Handle calls per batch, the first included. A batch that fails them
	// all is dropped and logged at error level.
	MaxAttempts int
	// RetryDelay is the pause before the first retry, doubled before each further one; the upper
	// half of each pause is random.
	RetryDelay time.Duration
	// HandleTimeout bounds each Handle call through its context.
	HandleTimeout time.Duration
	// Logger receives failed batches; nil discards them.
	Logger *slog.Logger
}

// Stats is a snapshot of a Queue's counters.
type Stats struct {
	Published uint64 // activities accepted by Publish
	Delivered uint64 // activities handled successfully
	Failed    uint64 // activities dropped after MaxAttempts failed attempts
	Pending   int    // activities waiting now
}

// Queue is a bounded in-process queue with one consumer. It implements queue.Publisher.
type Queue struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	buf    []live.Activity
	closed bool
	// held are the timers of activities accepted with a NotBefore still to come; each moves its
	// activity to the front of buf when it is due.
	held map[*time.Timer]live.Activity
	// space is closed, and replaced, whenever the consumer takes activities out of buf, and
	// closed for good by Close: publishers waiting for room wait on it.
	space chan struct{}

	wake chan struct{} // tells the consumer that buf changed or the queue closed
	done chan struct{} // closed when the consumer has drained the queue after Close

	published, delivered, failed atomic.Uint64

	// waiting, when set, is called by a publisher that is about to wait for room, so that a test
	// can tell that one waits.
	waiting func()
}

var _ queue.Publisher = (*Queue)(nil)

// New starts a queue and its consumer goroutine. It fails when Handle is missing or a setting is
// negative. Call Close to drain and stop it.
func New(cfg Config) (*Queue, error) {
	var problems []error
	if cfg.Handle == nil {
		problems = append(problems, errors.New("a Handle function is required"))
	}
	if cfg.Buffer < 0 || cfg.BatchSize < 0 || cfg.BatchWait < 0 || cfg.MaxAttempts < 0 ||
		cfg.RetryDelay < 0 || cfg.HandleTimeout < 0 {
		problems = append(problems, errors.New("sizes and durations must not be negative"))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("inproc: %w", errors.Join(problems...))
	}
	cfg.Buffer = orDefault(cfg.Buffer, DefaultBuffer)
	cfg.BatchSize = min(orDefault(cfg.BatchSize, DefaultBatchSize), cfg.Buffer)
	cfg.BatchWait = orDefault(cfg.BatchWait, DefaultBatchWait)
	cfg.MaxAttempts = orDefault(cfg.MaxAttempts, DefaultMaxAttempts)
	cfg.RetryDelay = orDefault(cfg.RetryDelay, DefaultRetryDelay)
	cfg.HandleTimeout = orDefault(cfg.HandleTimeout, DefaultHandleTimeout)
	q := &Queue{
		cfg:   cfg,
		log:   cfg.Logger,
		buf:   make([]live.Activity, 0, min(cfg.Buffer, 1024)),
		held:  map[*time.Timer]live.Activity{},
		space: make(chan struct{}),
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	go q.run()
	return q, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Publish adds activities to the queue, all or none. When the buffer lacks room it waits until
// the consumer makes some or ctx ends, and then fails with an error matching queue.ErrFull and
// ctx's error. It fails at once with queue.ErrFull when the activities exceed the whole buffer, and
// with queue.ErrClosed after Close. An activity whose NotBefore is still to come is held until
// then and handed over ahead of the activities waiting, so that a backlog does not delay it.
func (q *Queue) Publish(ctx context.Context, activities ...live.Activity) error {
	if len(activities) == 0 {
		return nil
	}
	now := time.Now()
	var due, later []live.Activity
	for _, a := range activities {
		if a.NotBefore.After(now) {
			later = append(later, a)
		} else {
			due = append(due, a)
		}
	}
	if len(due) > q.cfg.Buffer {
		return fmt.Errorf("inproc: %d activities exceed the buffer of %d: %w", len(due), q.cfg.Buffer, queue.ErrFull)
	}
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return queue.ErrClosed
		}
		if len(q.buf)+len(due) <= q.cfg.Buffer {
			q.buf = append(q.buf, due...)
			for _, a := range later {
				q.holdLocked(a)
			}
			q.mu.Unlock()
			q.published.Add(uint64(len(activities)))
			q.signal()
			return nil
		}
		space := q.space
		q.mu.Unlock()
		if q.waiting != nil {
			q.waiting()
		}
		select {
		case <-space:
		case <-ctx.Done():
			return fmt.Errorf("inproc: %w: %w", queue.ErrFull, context.Cause(ctx))
		}
	}
}

// holdLocked keeps a until its NotBefore, and then puts it at the front of the buffer. The caller
// holds q.mu.
func (q *Queue) holdLocked(a live.Activity) {
	var t *time.Timer
	t = time.AfterFunc(time.Until(a.NotBefore), func() {
		q.mu.Lock()
		a, ok := q.held[t]
		delete(q.held, t)
		if ok {
			q.buf = append([]live.Activity{a}, q.buf...)
		}
		q.mu.Unlock()
		q.signal()
	})
	q.held[t] = a
}

// Close stops accepting activities, waits until the consumer has handled every activity already
// accepted, and stops it. Publishers waiting for room fail with queue.ErrClosed. Close is safe to
// call more than once; it always returns nil.
func (q *Queue) Close() error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.space)
		// Activities still held are handed over now: the queue must not end with them.
		for t, a := range q.held {
			t.Stop()
			q.buf = append(q.buf, a)
			delete(q.held, t)
		}
	}
	q.mu.Unlock()
	q.signal()
	<-q.done
	return nil
}

// Stats returns the queue's counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	pending := len(q.buf) + len(q.held)
	q.mu.Unlock()
	return Stats{
		Published: q.published.Load(),
		Delivered: q.delivered.Load(),
		Failed:    q.failed.Load(),
		Pending:   pending,
	}
}

// signal wakes the consumer without ever blocking.
func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// state returns how many activities wait and whether the queue is closed.
func (q *Queue) state() (pending int, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.buf), q.closed
}

// run is the consumer: it waits for a first activity, gives the batch up to BatchWait to fill to
// BatchSize, handles it, and repeats until the queue is closed and empty.
func (q *Queue) run() {
	defer close(q.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		n, closed := q.state()
		if n == 0 {
			if closed {
				return
			}
			<-q.wake
			continue
		}
		if n < q.cfg.BatchSize && !closed {
			timer.Reset(q.cfg.BatchWait)
		gather:
			for {
				select {
				case <-q.wake:
					if n, closed = q.state(); n >= q.cfg.BatchSize || closed {
						break gather
					}
				case <-timer.C:
					break gather
				}
			}
			timer.Stop()
		}
		q.deliver(q.take())
	}
}

// take removes the next batch from the buffer and lets waiting publishers retry.
func (q *Queue) take() []live.Activity {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(len(q.buf), q.cfg.BatchSize)
	batch := make([]live.Activity, n)
	copy(batch, q.buf)
	rest := copy(q.buf, q.buf[n:])
	clear(q.buf[rest:])
	q.buf = q.buf[:rest]
	if !q.closed {
		close(q.space)
		q.space = make(chan struct{})
	}
	return batch
}

// deliver hands batch to Handle, retrying failures with a doubling, jittered delay.
func (q *Queue) deliver(batch []live.Activity) {
	retry := backoff.Policy{Attempts: q.cfg.MaxAttempts, Base: q.cfg.RetryDelay}
	err := backoff.Retry(context.Background(), retry, func(attempt int) error {
		err := q.handle(batch)
		if err != nil {
			q.log.Warn("activity batch failed", "attempt", attempt, "activities", len(batch), "err", err)
		}
		return err
	})
	if err == nil {
		q.delivered.Add(uint64(len(batch)))
		return
	}
	q.failed.Add(uint64(len(batch)))
	q.log.Error("activity batch dropped", "attempts", q.cfg.MaxAttempts, "activities", len(batch),
		"first_id", batch[0].ID, "err", err)
}

// handle calls Handle once, turning a panic into an error.
func (q *Queue) handle(batch []live.Activity) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), q.cfg.HandleTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("inproc: the handler panicked: %v", v)
		}
	}()
	return q.cfg.Handle(ctx, batch)
}
