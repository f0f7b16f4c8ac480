// Package memstore is an in-memory store.KV for tests. It keeps every rule of the port (the
// store contract suite runs against it), expires values by a clock the test controls, counts
// calls by method, and can be made to fail calls, or to lose their replies, to simulate an
// outage of a real store.
package memstore

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uriba-live/uriba/shared/store"
)

// ErrReplyLost, returned by a fault hook, lets the call apply and then fails it with
// store.ErrUnavailable, as a store does when its reply is lost on the way back: a write that
// reports the failure has nevertheless been made.
var ErrReplyLost = errors.New("memstore: reply lost")

// Store is an in-memory store.KV. Its methods are safe for concurrent use. Unlike some backends
// its AddMany is atomic: it applies every delta or none.
type Store struct {
	now func() time.Time

	mu    sync.Mutex // guards recs and calls
	recs  map[string]record
	calls map[string]int

	faultMu sync.Mutex
	faults  func(op, key string) error
	split   bool
}

type record struct {
	counter bool
	count   int64
	value   []byte
	expires time.Time // zero: never
}

var _ store.KV = (*Store)(nil)

// New returns an empty store that expires values by now, a clock such as the Now method of a
// clock.Manual; nil means time.Now.
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, recs: make(map[string]record), calls: make(map[string]int)}
}

// SetFaults makes f decide the fate of every later call, or lets every call run when f is nil.
// f is asked with the method's name ("PutIfAbsent") and its key, or its directory for Scan;
// AddMany asks once for each of its keys, in byte order, and stops at the first error. f runs
// outside the store's lock and after the call's context was checked, so it may block, as a stuck
// backend does, or panic. When f returns nil the call runs; when it returns ErrReplyLost the call
// runs and then fails with store.ErrUnavailable; any other error fails the call before it
// changes anything: an *store.Error as it is, one of store's kinds (store.ErrUnavailable, …) as
// an *store.Error of that kind, and any other error as a store.ErrFailed that wraps it.
func (s *Store) SetFaults(f func(op, key string) error) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = f
}

// SplitAddMany makes AddMany apply its deltas one by one, as the DynamoDB and Redis adapters do,
// when on is true: the fault hook decides each delta's fate alone, a delta it fails is not
// applied while the others are, and the error lists the deltas that may not have been applied
// (see store.Unapplied), ErrReplyLost's among them although they were.
func (s *Store) SplitAddMany(on bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.split = on
}

// FailCalls returns a fault hook for SetFaults that answers err for calls of the methods ops
// (of every method when ops is empty) on keys that contain part (every key when part is ""), for
// the first n such calls (for all of them when n is 0), and nil for every other call.
func FailCalls(part string, n int, err error, ops ...string) func(op, key string) error {
	var mu sync.Mutex
	failed := 0
	return func(op, key string) error {
		if !strings.Contains(key, part) || (len(ops) > 0 && !slices.Contains(ops, op)) {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if n > 0 && failed >= n {
			return nil
		}
		failed++
		return err
	}
}

// Calls returns how many times the method op ("Get") was called, failed calls included.
func (s *Store) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// TotalCalls returns how many calls were made, of every method, failed calls included.
func (s *Store) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

// Expires returns when the live value of key expires, the zero time when it never does, and
// false when key holds no live value. It is not a call of the store: it is not counted and no
// fault hook is asked.
func (s *Store) Expires(key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.get(key)
	if !ok || r.counter {
		return time.Time{}, false
	}
	return r.expires, true
}

// Snapshot returns every live record, values as strings and counters as "#" and their count,
// so that a test can tell whether a call changed anything.
func (s *Store) Snapshot() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.recs))
	now := s.now()
	for k, r := range s.recs {
		if r.live(now) {
			if r.counter {
				out[k] = "#" + strconv.FormatInt(r.count, 10)
			} else {
				out[k] = string(r.value)
			}
		}
	}
	return out
}

func (r record) live(now time.Time) bool {
	return r.counter || r.expires.IsZero() || now.Before(r.expires)
}

// call counts the call, refuses it when invalid (the error of the port's check) is not nil,
// when the context has ended or when the fault hook fails it, and otherwise runs apply under the
// lock.
func (s *Store) call(ctx context.Context, op, key string, keys []string, invalid error, apply func() error) error {
	s.mu.Lock()
	s.calls[op]++
	s.mu.Unlock()
	if invalid != nil {
		return invalid
	}
	if err := ctx.Err(); err != nil {
		return store.Fail(op, key, err, nil)
	}
	var lost error
	for _, k := range keys {
		if err := s.fault(op, k); errors.Is(err, ErrReplyLost) {
			lost = &store.Error{Op: op, Key: key, Kind: store.ErrUnavailable, Err: err}
		} else if err != nil {
			return err
		}
	}
	s.mu.Lock()
	err := apply()
	s.mu.Unlock()
	if err == nil {
		err = lost
	}
	return err
}

// fault asks the fault hook about one call and turns its answer into the call's error.
func (s *Store) fault(op, key string) error {
	s.faultMu.Lock()
	f := s.faults
	s.faultMu.Unlock()
	if f == nil {
		return nil
	}
	err := f(op, key)
	switch err {
	case nil:
		return nil
	case store.ErrUnavailable, store.ErrInvalid, store.ErrWrongKind, store.ErrFailed:
		return &store.Error{Op: op, Key: key, Kind: err}
	}
	if errors.Is(err, ErrReplyLost) {
		return err
	}
	return store.Fail(op, key, err, nil)
}

// get returns the live record of key, forgetting it when it has expired. The caller holds s.mu.
func (s *Store) get(key string) (record, bool) {
	r, ok := s.recs[key]
	if !ok {
		return record{}, false
	}
	if !r.live(s.now()) {
		delete(s.recs, key)
		return record{}, false
	}
	return r, true
}

// value returns a value record that expires ttl from now.
func (s *Store) value(v []byte, ttl time.Duration) record {
	r := record{value: bytes.Clone(v)}
	if r.value == nil {
		r.value = []byte{}
	}
	if ttl > 0 {
		r.expires = s.now().Add(ttl)
	}
	return r
}

// Get implements store.KV.
func (s *Store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	var v []byte
	var ok bool
	err := s.call(ctx, "Get", key, []string{key}, store.CheckKey("Get", key), func() error {
		r, found := s.get(key)
		if found && r.counter {
			return store.WrongKind("Get", key)
		}
		if found {
			v, ok = bytes.Clone(r.value), true
			if v == nil {
				v = []byte{}
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return v, ok, nil
}

// Put implements store.KV.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return s.call(ctx, "Put", key, []string{key}, store.CheckPut("Put", key, value, ttl), func() error {
		s.recs[key] = s.value(value, ttl)
		return nil
	})
}

// PutIfAbsent implements store.KV.
func (s *Store) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	var created bool
	err := s.call(ctx, "PutIfAbsent", key, []string{key}, store.CheckPut("PutIfAbsent", key, value, ttl), func() error {
		if _, ok := s.get(key); !ok {
			s.recs[key] = s.value(value, ttl)
			created = true
		}
		return nil
	})
	return created && err == nil, err
}

// CompareAndSwap implements store.KV.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	var swapped bool
	err := s.call(ctx, "CompareAndSwap", key, []string{key}, store.CheckPut("CompareAndSwap", key, new, ttl), func() error {
		if r, ok := s.get(key); ok && !r.counter && bytes.Equal(r.value, old) {
			s.recs[key] = s.value(new, ttl)
			swapped = true
		}
		return nil
	})
	return swapped && err == nil, err
}

// Delete implements store.KV.
func (s *Store) Delete(ctx context.Context, key string) (bool, error) {
	var existed bool
	err := s.call(ctx, "Delete", key, []string{key}, store.CheckKey("Delete", key), func() error {
		_, existed = s.get(key)
		delete(s.recs, key)
		return nil
	})
	return existed && err == nil, err
}

// add applies delta to a counter. The caller holds s.mu.
func (s *Store) add(op, key string, delta int64) (int64, error) {
	r, ok := s.get(key)
	if ok && !r.counter {
		return 0, store.WrongKind(op, key)
	}
	if (delta > 0 && r.count > math.MaxInt64-delta) || (delta < 0 && r.count < math.MinInt64-delta) {
		return 0, store.Invalid(op, key, "count would overflow")
	}
	r = record{counter: true, count: r.count + delta}
	s.recs[key] = r
	return r.count, nil
}

// Add implements store.KV.
func (s *Store) Add(ctx context.Context, key string, delta int64) (int64, error) {
	var n int64
	err := s.call(ctx, "Add", key, []string{key}, store.CheckKey("Add", key), func() error {
		var err error
		n, err = s.add("Add", key, delta)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Max implements store.KV.
func (s *Store) Max(ctx context.Context, key string, v int64) (int64, error) {
	var n int64
	err := s.call(ctx, "Max", key, []string{key}, store.CheckKey("Max", key), func() error {
		r, ok := s.get(key)
		if ok && !r.counter {
			return store.WrongKind("Max", key)
		}
		n = max(r.count, v)
		s.recs[key] = record{counter: true, count: n}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Counter implements store.KV.
func (s *Store) Counter(ctx context.Context, key string) (int64, error) {
	var n int64
	err := s.call(ctx, "Counter", key, []string{key}, store.CheckKey("Counter", key), func() error {
		r, ok := s.get(key)
		if ok && !r.counter {
			return store.WrongKind("Counter", key)
		}
		n = r.count
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// AddMany implements store.KV. It applies every delta or, when one fails, none.
func (s *Store) AddMany(ctx context.Context, deltas map[string]int64) error {
	keys := make([]string, 0, len(deltas))
	var invalid error
	for key := range deltas {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if invalid = store.CheckKey("AddMany", key); invalid != nil {
			break
		}
	}
	s.faultMu.Lock()
	split := s.split
	s.faultMu.Unlock()
	if split && invalid == nil {
		return s.addOneByOne(ctx, keys, deltas)
	}
	return s.call(ctx, "AddMany", "", keys, invalid, func() error {
		saved := make(map[string]record, len(deltas))
		for _, key := range keys {
			if r, ok := s.recs[key]; ok {
				saved[key] = r
			}
		}
		for _, key := range keys {
			if _, err := s.add("AddMany", key, deltas[key]); err != nil {
				for _, k := range keys {
					if r, ok := saved[k]; ok {
						s.recs[k] = r
					} else {
						delete(s.recs, k)
					}
				}
				return err
			}
		}
		return nil
	})
}

// Scan implements store.KV.
func (s *Store) Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error) {
	var items []store.Item
	err := s.call(ctx, "Scan", dir, []string{dir}, store.CheckScan("Scan", dir, after, limit), func() error {
		var keys []string
		for k := range s.recs {
			if d, name := store.Split(k); d == dir && name != "" && k > after {
				if _, ok := s.get(k); ok {
					keys = append(keys, k)
				}
			}
		}
		slices.Sort(keys)
		if len(keys) > limit {
			keys = keys[:limit]
		}
		items = make([]store.Item, len(keys))
		for i, k := range keys {
			if r := s.recs[k]; r.counter {
				items[i] = store.Item{Key: k, Counter: true, Count: r.count}
			} else {
				items[i] = store.Item{Key: k, Value: bytes.Clone(r.value)}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// addOneByOne is AddMany when SplitAddMany is on.
func (s *Store) addOneByOne(ctx context.Context, keys []string, deltas map[string]int64) error {
	s.mu.Lock()
	s.calls["AddMany"]++
	s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return store.Fail("AddMany", "", err, nil)
	}
	var first error
	var unapplied []string
	for _, key := range keys {
		err := s.fault("AddMany", key)
		lost := errors.Is(err, ErrReplyLost)
		if err == nil || lost {
			s.mu.Lock()
			_, err = s.add("AddMany", key, deltas[key])
			s.mu.Unlock()
			if err == nil && lost {
				err = &store.Error{Op: "AddMany", Key: key, Kind: store.ErrUnavailable, Err: ErrReplyLost}
			}
		}
		if err != nil {
			unapplied = append(unapplied, key)
			if first == nil {
				first = err
			}
		}
	}
	return store.WithUnapplied(first, unapplied)
}
