// Package bolt is uriba's embedded store, a single go.etcd.io/bbolt file: the default of the dev
// server and of single-machine deployments. It implements store.KV.
//
// Records live in the bucket "uriba" under their own keys, so that byte order of keys is the
// order of Scan. A value is stored as 'v', its expiry (Unix nanoseconds, big-endian, 0 for
// never) and its bytes; a counter as 'n' and its count (big-endian two's complement). The bucket
// "uriba.expiry" indexes expiring values by expiry then key; every write call removes up to a
// few expired values through it, so expired values do not pile up, and every read treats
// them as absent until then.
//
// Each call is atomic, AddMany too, and every write is on disk when it returns. A write call is
// one bbolt transaction of its own, unless it arrives while other writes wait for theirs: it then
// shares a transaction, and its commit, with the other calls of a batch (see batchDelay).
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/uriba-live/uriba/shared/store"
	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	// bucket holds every record.
	bucket = []byte("uriba")
	// expiryBucket indexes expiring values: 8-byte expiry then the key, to nothing.
	expiryBucket = []byte("uriba.expiry")
)

// purgeBatch is how many expired values a write call removes at most.
const purgeBatch = 32

// How write calls made at the same time share a transaction, with bbolt's DB.Batch. A commit
// costs two fdatasyncs, far more than the work of a call: writers that share a transaction share
// that cost, and a storm of concurrent writes commits many times faster than one by one.
//
// bbolt runs a batch batchDelay after its first call, or as soon as it holds batchSize calls, so
// a batched call always waits up to batchDelay. A call is therefore batched only when at least
// batchAfter other write calls are waiting to run (see Store.update): a call alone, or one that
// waits for a single commit, commits on its own as fast as without batching, and only calls that
// would wait behind two or more commits anyway pay the delay. With batchAfter 1, two writers
// found each other waiting now and then and lost a third of their throughput to the delay.
//
// The delay is about one commit on a fast disk (0.5ms where it was measured): the writers a
// commit releases come back within it, and in a storm the batch fills up and runs before it. A
// longer one, such as bbolt's default of 10ms, only makes a few concurrent writers wait longer;
// 0.5 to 2ms measured alike. The size is where the fdatasyncs' share of a call falls below the
// call's own work: larger batches save little more and make every caller in them wait for all
// the others' work; 32 to 256 measured alike.
const (
	batchAfter = 2
	batchDelay = time.Millisecond
	batchSize  = 64
)

// Record kinds, the first byte of every stored record.
const (
	kindValue   = 'v'
	kindCounter = 'n'
)

// Store is an open bolt file.
type Store struct {
	db  *bbolt.DB
	now func() time.Time
	// waiting counts the write calls that have not started to run yet: those that wait for
	// bbolt's write lock or for their batch to run.
	waiting atomic.Int64
}

var _ store.KV = (*Store)(nil)

// Open opens or creates the store at path. It fails after a second, instead of waiting forever,
// when another process holds the file.
func Open(path string) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: another process has it open", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.MaxBatchDelay = batchDelay
	db.MaxBatchSize = batchSize
	if err := db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucket, expiryBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare store %s: %w", path, err)
	}
	return &Store{db: db, now: time.Now}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// record is a decoded record. The zero record is absent.
type record struct {
	present   bool
	counter   bool
	value     []byte    // a value's bytes; valid only within the transaction
	count     int64     // a counter's count
	expiresAt time.Time // a value's expiry; zero for never
}

func (r record) expired(now time.Time) bool {
	return !r.expiresAt.IsZero() && !now.Before(r.expiresAt)
}

// live reports whether the record exists and has not expired.
func (r record) live(now time.Time) bool { return r.present && !r.expired(now) }

func decode(raw []byte) (record, error) {
	switch {
	case raw == nil:
		return record{}, nil
	case len(raw) >= 9 && raw[0] == kindValue:
		r := record{present: true, value: raw[9:]}
		if ns := int64(binary.BigEndian.Uint64(raw[1:9])); ns != 0 {
			r.expiresAt = time.Unix(0, ns)
		}
		return r, nil
	case len(raw) == 9 && raw[0] == kindCounter:
		return record{present: true, counter: true, count: int64(binary.BigEndian.Uint64(raw[1:]))}, nil
	}
	return record{}, errors.New("damaged record")
}

func encodeValue(value []byte, expiresAt time.Time) []byte {
	raw := make([]byte, 9+len(value))
	raw[0] = kindValue
	if !expiresAt.IsZero() {
		binary.BigEndian.PutUint64(raw[1:9], uint64(expiresAt.UnixNano()))
	}
	copy(raw[9:], value)
	return raw
}

func encodeCounter(n int64) []byte {
	raw := make([]byte, 9)
	raw[0] = kindCounter
	binary.BigEndian.PutUint64(raw[1:], uint64(n))
	return raw
}

// expiryKey is the key of a value's entry in the expiry index.
func expiryKey(expiresAt time.Time, key string) []byte {
	k := make([]byte, 8+len(key))
	binary.BigEndian.PutUint64(k, uint64(expiresAt.UnixNano()))
	copy(k[8:], key)
	return k
}

// writer is one write call's view of its transaction.
type writer struct {
	records, expiry *bbolt.Bucket
	now             time.Time
	// wrote reports whether the call has changed a record of its own (its purge aside).
	wrote bool
}

func (w *writer) load(key string) (record, error) {
	return decode(w.records.Get([]byte(key)))
}

// set replaces the record of key, whose current record is old, with raw (nil deletes it) and
// keeps the expiry index in step.
func (w *writer) set(key string, old record, raw []byte, expiresAt time.Time) error {
	w.wrote = true
	if old.present && !old.expiresAt.IsZero() {
		if err := w.expiry.Delete(expiryKey(old.expiresAt, key)); err != nil {
			return err
		}
	}
	if raw == nil {
		return w.records.Delete([]byte(key))
	}
	if !expiresAt.IsZero() {
		if err := w.expiry.Put(expiryKey(expiresAt, key), nil); err != nil {
			return err
		}
	}
	return w.records.Put([]byte(key), raw)
}

// purge removes up to purgeBatch expired values, oldest first.
func (w *writer) purge() error {
	c := w.expiry.Cursor()
	now := uint64(w.now.UnixNano())
	for range purgeBatch {
		k, _ := c.First()
		if len(k) < 8 || binary.BigEndian.Uint64(k[:8]) > now {
			return nil
		}
		key := k[8:]
		if r, err := decode(w.records.Get(key)); err == nil && r.present && r.expired(w.now) {
			if err := w.records.Delete(key); err != nil {
				return err
			}
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// update runs fn in a write transaction, after removing some expired values, and returns fn's
// error. The transaction is the call's own unless at least batchAfter other write calls are
// waiting to run (to start their transaction or their batch); it is then shared with the
// concurrent calls of a batch. Either way the call returns once its transaction has committed,
// so every write is on disk by then.
//
// In a batch, bbolt may run fn more than once, each time in a new transaction: again when another
// call of the batch fails, since the whole transaction is then rolled back and the others rerun
// without it, and again alone when fn itself fails. Only the last run's outcome counts, so fn must
// set every result it reports at each run, never add to one from an earlier run.
//
// A batched call that fails before it has written anything, such as one refused with ErrWrongKind
// or ErrInvalid, has no write to undo: its error is kept as its result and the batch's transaction
// goes on, so that one caller's refusal neither undoes nor delays the others' writes. A call that
// fails after writing (bbolt refused a change) fails its run, and bbolt rolls the transaction
// back: its partial writes never commit, the other calls are rerun without it, and it is rerun
// alone. Either way every call is applied once or not at all, and reports the outcome of the run
// that committed.
func (s *Store) update(ctx context.Context, op, key string, fn func(w *writer) error) error {
	if err := ctx.Err(); err != nil {
		return store.Fail(op, key, err, nil)
	}
	batched := s.waiting.Add(1) > batchAfter
	started := false
	defer func() {
		if !started {
			s.waiting.Add(-1)
		}
	}()
	var refused error
	run := func(tx *bbolt.Tx) error {
		if !started {
			started = true
			s.waiting.Add(-1)
		}
		refused = nil
		w := &writer{records: tx.Bucket(bucket), expiry: tx.Bucket(expiryBucket), now: s.now()}
		if err := w.purge(); err != nil {
			return err
		}
		err := fn(w)
		if err != nil && batched && !w.wrote {
			refused, err = err, nil
		}
		return err
	}
	var err error
	if batched {
		err = s.db.Batch(run)
	} else {
		// Alone, a failed call rolls its transaction back rather than commit it for nothing.
		err = s.db.Update(run)
	}
	if err == nil {
		err = refused
	}
	return store.Fail(op, key, err, nil)
}

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, op, key string, fn func(records *bbolt.Bucket, now time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return store.Fail(op, key, err, nil)
	}
	err := s.db.View(func(tx *bbolt.Tx) error { return fn(tx.Bucket(bucket), s.now()) })
	return store.Fail(op, key, err, nil)
}

// Get implements store.KV.
func (s *Store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	const op = "Get"
	if err := store.CheckKey(op, key); err != nil {
		return nil, false, err
	}
	var value []byte
	err := s.view(ctx, op, key, func(records *bbolt.Bucket, now time.Time) error {
		r, err := decode(records.Get([]byte(key)))
		switch {
		case err != nil:
			return err
		case !r.live(now):
			return nil
		case r.counter:
			return store.WrongKind(op, key)
		}
		value = bytes.Clone(r.value)
		if value == nil {
			value = []byte{}
		}
		return nil
	})
	return value, value != nil, err
}

// Put implements store.KV.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "Put"
	if err := store.CheckPut(op, key, value, ttl); err != nil {
		return err
	}
	return s.update(ctx, op, key, func(w *writer) error {
		old, err := w.load(key)
		if err != nil {
			return err
		}
		exp := expiry(w.now, ttl)
		return w.set(key, old, encodeValue(value, exp), exp)
	})
}

// PutIfAbsent implements store.KV.
func (s *Store) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	const op = "PutIfAbsent"
	if err := store.CheckPut(op, key, value, ttl); err != nil {
		return false, err
	}
	var created bool
	err := s.update(ctx, op, key, func(w *writer) error {
		created = false
		old, err := w.load(key)
		if err != nil || old.live(w.now) {
			return err
		}
		exp := expiry(w.now, ttl)
		created = true
		return w.set(key, old, encodeValue(value, exp), exp)
	})
	return created && err == nil, err
}

// CompareAndSwap implements store.KV.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	const op = "CompareAndSwap"
	if err := store.CheckPut(op, key, new, ttl); err != nil {
		return false, err
	}
	var swapped bool
	err := s.update(ctx, op, key, func(w *writer) error {
		swapped = false
		cur, err := w.load(key)
		if err != nil || !cur.live(w.now) || cur.counter || !bytes.Equal(cur.value, old) {
			return err
		}
		exp := expiry(w.now, ttl)
		swapped = true
		return w.set(key, cur, encodeValue(new, exp), exp)
	})
	return swapped && err == nil, err
}

// Delete implements store.KV.
func (s *Store) Delete(ctx context.Context, key string) (bool, error) {
	const op = "Delete"
	if err := store.CheckKey(op, key); err != nil {
		return false, err
	}
	var existed bool
	err := s.update(ctx, op, key, func(w *writer) error {
		existed = false
		old, err := w.load(key)
		if err != nil || !old.present {
			return err
		}
		existed = old.live(w.now)
		return w.set(key, old, nil, time.Time{})
	})
	return existed && err == nil, err
}

// Add implements store.KV.
func (s *Store) Add(ctx context.Context, key string, delta int64) (int64, error) {
	const op = "Add"
	if err := store.CheckKey(op, key); err != nil {
		return 0, err
	}
	var n int64
	err := s.update(ctx, op, key, func(w *writer) (err error) {
		n, err = w.add(op, key, delta)
		return err
	})
	return n, err
}

// add adds delta to the counter key.
func (w *writer) add(op, key string, delta int64) (int64, error) {
	cur, n, err := w.sum(op, key, delta)
	if err != nil {
		return 0, err
	}
	return n, w.set(key, cur, encodeCounter(n), time.Time{})
}

// sum returns the record of the counter key and the count it would hold after adding delta, or
// the error that refuses the addition. It writes nothing.
func (w *writer) sum(op, key string, delta int64) (record, int64, error) {
	cur, err := w.load(key)
	if err != nil {
		return record{}, 0, err
	}
	if cur.live(w.now) && !cur.counter {
		return record{}, 0, store.WrongKind(op, key)
	}
	n := int64(0)
	if cur.live(w.now) {
		n = cur.count
	}
	if (delta > 0 && n > math.MaxInt64-delta) || (delta < 0 && n < math.MinInt64-delta) {
		return record{}, 0, store.Invalid(op, key, "the counter would overflow")
	}
	return cur, n + delta, nil
}

// Max implements store.KV.
func (s *Store) Max(ctx context.Context, key string, v int64) (int64, error) {
	const op = "Max"
	if err := store.CheckKey(op, key); err != nil {
		return 0, err
	}
	var n int64
	err := s.update(ctx, op, key, func(w *writer) error {
		n = 0
		cur, err := w.load(key)
		if err != nil {
			return err
		}
		live := cur.live(w.now)
		if live && !cur.counter {
			return store.WrongKind(op, key)
		}
		if live {
			n = cur.count
		}
		if v <= n {
			return nil
		}
		n = v
		return w.set(key, cur, encodeCounter(n), time.Time{})
	})
	return n, err
}

// Counter implements store.KV.
func (s *Store) Counter(ctx context.Context, key string) (int64, error) {
	const op = "Counter"
	if err := store.CheckKey(op, key); err != nil {
		return 0, err
	}
	var n int64
	err := s.view(ctx, op, key, func(records *bbolt.Bucket, now time.Time) error {
		r, err := decode(records.Get([]byte(key)))
		switch {
		case err != nil || !r.live(now):
			return err
		case !r.counter:
			return store.WrongKind(op, key)
		}
		n = r.count
		return nil
	})
	return n, err
}

// AddMany implements store.KV. The deltas are applied in one transaction: all of them or, when
// the call fails, none.
func (s *Store) AddMany(ctx context.Context, deltas map[string]int64) error {
	const op = "AddMany"
	for key := range deltas {
		if err := store.CheckKey(op, key); err != nil {
			return err
		}
	}
	if len(deltas) == 0 {
		return nil
	}
	type sum struct {
		key string
		cur record
		n   int64
	}
	return s.update(ctx, op, "", func(w *writer) error {
		// Check every delta before writing any: a refused call then has nothing to undo.
		sums := make([]sum, 0, len(deltas))
		for key, delta := range deltas {
			cur, n, err := w.sum(op, key, delta)
			if err != nil {
				return err
			}
			sums = append(sums, sum{key, cur, n})
		}
		for _, c := range sums {
			if err := w.set(c.key, c.cur, encodeCounter(c.n), time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Scan implements store.KV.
func (s *Store) Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error) {
	const op = "Scan"
	if err := store.CheckScan(op, dir, after, limit); err != nil {
		return nil, err
	}
	var items []store.Item
	err := s.view(ctx, op, dir, func(records *bbolt.Bucket, now time.Time) error {
		prefix := []byte(dir)
		c := records.Cursor()
		k, raw := c.Seek(prefix)
		if after != "" {
			if k, raw = c.Seek([]byte(after)); string(k) == after {
				k, raw = c.Next()
			}
		}
		for k != nil && bytes.HasPrefix(k, prefix) && len(items) < limit {
			name := k[len(prefix):]
			if i := bytes.IndexByte(name, '/'); i >= 0 {
				// A nested directory: skip every key that starts with dir+name[:i]+"/".
				k, raw = c.Seek(append(append(bytes.Clone(prefix), name[:i]...), '/'+1))
				continue
			}
			r, err := decode(raw)
			if err != nil {
				return fmt.Errorf("%q: %w", k, err)
			}
			if r.live(now) {
				item := store.Item{Key: string(k), Counter: r.counter, Count: r.count}
				if !r.counter {
					item.Value = append([]byte{}, r.value...)
				}
				items = append(items, item)
			}
			k, raw = c.Next()
		}
		return nil
	})
	return items, err
}

// expiry returns the moment a value written at now with ttl expires, or the zero time for ttl 0.
func expiry(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(ttl)
}
