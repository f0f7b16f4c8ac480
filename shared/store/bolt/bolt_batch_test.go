package bolt

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/store"
	bbolt "go.etcd.io/bbolt"
)

// TestBatchedCallsKeepTheirOutcomes makes many write calls at once, so that they share
// transactions, among calls that are refused and calls that fail after writing, which make bbolt
// roll a batch back and run its other calls again. Every call must still be applied exactly once
// or not at all, and report what it did.
func TestBatchedCallsKeepTheirOutcomes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.Put(ctx, "value", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	const rounds, writers = 20, 42
	before := committed(t, s)
	var calls, added atomic.Int64
	for round := range rounds {
		r := strconv.Itoa(round)
		if err := s.Put(ctx, "swap#"+r, []byte("old"), 0); err != nil {
			t.Fatal(err)
		}
		var created, swapped atomic.Int64
		release := holdWrites(t, s)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				calls.Add(1)
				switch i % 6 {
				case 0:
					// A call that fails after writing must leave nothing behind.
					failAfterWriting(t, s, "partial#"+r, nil)
				case 1:
					if ok, err := s.PutIfAbsent(ctx, "once#"+r, []byte(strconv.Itoa(i)), 0); err != nil {
						t.Error(err)
					} else if ok {
						created.Add(1)
					}
				case 2:
					if ok, err := s.CompareAndSwap(ctx, "swap#"+r, []byte("old"), []byte(strconv.Itoa(i)), 0); err != nil {
						t.Error(err)
					} else if ok {
						swapped.Add(1)
					}
				case 3:
					if n, err := s.Add(ctx, "sum", 1); err != nil || n <= 0 {
						t.Errorf("Add = %d, %v", n, err)
					} else {
						added.Add(1)
					}
				case 4:
					if _, err := s.Add(ctx, "value", 1); !errors.Is(err, store.ErrWrongKind) {
						t.Errorf("Add on a value: got %v, want ErrWrongKind", err)
					}
				case 5:
					err := s.AddMany(ctx, map[string]int64{"many/a": 1, "many/b": 1, "value": 1})
					if !errors.Is(err, store.ErrWrongKind) {
						t.Errorf("AddMany with a value: got %v, want ErrWrongKind", err)
					}
				}
			})
		}
		waitForWriters(s, writers)
		release()
		wg.Wait()
		if created.Load() != 1 || swapped.Load() != 1 {
			t.Errorf("round %d: %d PutIfAbsent and %d CompareAndSwap calls won, want one each", round, created.Load(), swapped.Load())
		}
		if _, ok, err := s.Get(ctx, "partial#"+r); ok || err != nil {
			t.Errorf("round %d: a failed call's write was kept: %v, %v", round, ok, err)
		}
	}
	if n, err := s.Counter(ctx, "sum"); err != nil || n != added.Load() {
		t.Errorf("Counter sum = %d, %v; want %d, one per Add", n, err, added.Load())
	}
	for _, key := range []string{"many/a", "many/b"} {
		if n, err := s.Counter(ctx, key); err != nil || n != 0 {
			t.Errorf("Counter %s after refused AddMany calls = %d, %v; want 0", key, n, err)
		}
	}
	if v, ok, err := s.Get(ctx, "value"); err != nil || !ok || string(v) != "v" {
		t.Errorf("Get value = %q, %v, %v; want it untouched", v, ok, err)
	}
	if txs := committed(t, s) - before; txs >= calls.Load() {
		t.Errorf("%d calls committed %d transactions: they were not batched", calls.Load(), txs)
	}
}

// TestARerunCallReportsItsLastRun batches a call with a later one that moves the clock and then
// fails, so that bbolt rolls the batch back and runs the first call again at a time when the
// value it works on has expired. The call must report the outcome of that last run, the one that
// committed, and not what it saw in the first.
func TestARerunCallReportsItsLastRun(t *testing.T) {
	ctx := context.Background()
	type outcome struct {
		ok  bool
		n   int64
		err error
	}
	tests := []struct {
		name string
		call func(s *Store) outcome
		want outcome
	}{
		{"CompareAndSwap", func(s *Store) outcome {
			ok, err := s.CompareAndSwap(ctx, "k", []byte("v"), []byte("new"), 0)
			return outcome{ok: ok, err: err}
		}, outcome{ok: false}},
		{"Delete", func(s *Store) outcome {
			ok, err := s.Delete(ctx, "k")
			return outcome{ok: ok, err: err}
		}, outcome{ok: false}},
		{"PutIfAbsent", func(s *Store) outcome {
			ok, err := s.PutIfAbsent(ctx, "k", []byte("new"), 0)
			return outcome{ok: ok, err: err}
		}, outcome{ok: true}},
		{"Add", func(s *Store) outcome {
			n, err := s.Add(ctx, "k", 2)
			return outcome{n: n, err: err}
		}, outcome{n: 2}},
		{"Max", func(s *Store) outcome {
			n, err := s.Max(ctx, "k", 3)
			return outcome{n: n, err: err}
		}, outcome{n: 3}},
		{"AddMany", func(s *Store) outcome {
			return outcome{err: s.AddMany(ctx, map[string]int64{"k": 1, "other": 1})}
		}, outcome{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			c := clock.NewManual(time.Unix(1_700_000_000, 0))
			var runs atomic.Int64
			s.now = func() time.Time { runs.Add(1); return c.Now() }
			// A batch of two that runs as soon as both calls are in it.
			s.db.MaxBatchSize, s.db.MaxBatchDelay = 2, time.Minute
			if err := s.Put(ctx, "k", []byte("v"), time.Minute); err != nil {
				t.Fatal(err)
			}
			runs.Store(0)
			release := holdWrites(t, s)
			got := make(chan outcome, 1)
			go func() { got <- tc.call(s) }()
			waitForWriters(s, 1)
			time.Sleep(20 * time.Millisecond) // let the call join the batch first
			failed := make(chan struct{})
			go func() {
				defer close(failed)
				failAfterWriting(t, s, "partial", func() { c.Advance(time.Hour) })
			}()
			waitForWriters(s, 2)
			release()
			<-failed
			if o := <-got; o != tc.want {
				t.Errorf("got %+v, want %+v", o, tc.want)
			}
			// The calls of holdWrites, the call twice, and the failing call in the batch and then
			// alone.
			if n, want := runs.Load(), int64(1+batchAfter+2+2); n != want {
				t.Errorf("%d runs, want %d: the call was not run again", n, want)
			}
		})
	}
}

// holdWrites makes a write call that holds bbolt's write lock until release is called, and
// batchAfter others that wait for it alone, so that the calls made meanwhile are batched.
func holdWrites(t *testing.T, s *Store) (release func()) {
	in, out := make(chan struct{}), make(chan struct{})
	var done sync.WaitGroup
	write := func(fn func(*writer) error) {
		done.Go(func() {
			if err := s.update(context.Background(), "Test", "", fn); err != nil {
				t.Error(err)
			}
		})
	}
	write(func(*writer) error {
		close(in)
		<-out
		return nil
	})
	<-in
	for range batchAfter {
		write(func(*writer) error { return nil })
	}
	waitForWriters(s, 0)
	return func() { close(out); done.Wait() }
}

// waitForWriters waits until n write calls wait besides those holdWrites makes wait.
func waitForWriters(s *Store, n int) {
	for s.waiting.Load() < int64(n+batchAfter) {
		time.Sleep(100 * time.Microsecond)
	}
}

// failAfterWriting makes a write call that writes key, calls then unless it is nil, and fails;
// it checks that the call reports its failure.
func failAfterWriting(t *testing.T, s *Store, key string, then func()) {
	failure := errors.New("failed after writing")
	err := s.update(context.Background(), "Test", key, func(w *writer) error {
		if err := w.set(key, record{}, encodeValue([]byte("partial"), time.Time{}), time.Time{}); err != nil {
			return err
		}
		if then != nil {
			then()
		}
		return failure
	})
	if !errors.Is(err, failure) {
		t.Errorf("a call failing after writing: got %v", err)
	}
}

// committed returns the id of the last committed write transaction.
func committed(t *testing.T, s *Store) int64 {
	var id int
	if err := s.db.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return int64(id)
}
