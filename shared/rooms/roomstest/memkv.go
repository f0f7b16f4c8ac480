// Package roomstest helps test code built on package rooms: an in-memory store.KV that can be
// made to fail, an IM wrapper that counts and fails calls, and a harness that runs the rooms
// service against the IM stand-in on loopback. It is for tests only.
package roomstest

import (
	"bytes"
	"context"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/uriba-live/uriba/shared/store"
)

// MemoryKV is an in-memory store.KV that keeps the port's rules (the store contract suite
// passes against it). Fail, when set, is asked before every call and may fail it.
type MemoryKV struct {
	mu   sync.Mutex
	recs map[string]memRecord
	now  func() time.Time

	// Fail returns the error a call should fail with, or nil to let it run. op is the method
	// name ("PutIfAbsent") and key its key or directory.
	Fail func(op, key string) error
}

type memRecord struct {
	counter bool
	count   int64
	value   []byte
	expires time.Time // zero: never
}

var _ store.KV = (*MemoryKV)(nil)

// NewMemoryKV returns an empty store.
func NewMemoryKV() *MemoryKV {
	return &MemoryKV{recs: make(map[string]memRecord), now: time.Now}
}

// Snapshot returns every live record, values as strings and counters as "#" and their count,
// so that a test can tell whether a call changed anything.
func (m *MemoryKV) Snapshot() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string, len(m.recs))
	now := m.now()
	for k, r := range m.recs {
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

func (r memRecord) live(now time.Time) bool {
	return r.counter || r.expires.IsZero() || now.Before(r.expires)
}

// begin checks the context and the Fail hook, then locks the store.
func (m *MemoryKV) begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return store.Fail(op, key, err, nil)
	}
	if m.Fail != nil {
		if err := m.Fail(op, key); err != nil {
			return store.Fail(op, key, err, nil)
		}
	}
	m.mu.Lock()
	return nil
}

// get returns the live record of key. The caller holds m.mu.
func (m *MemoryKV) get(key string) (memRecord, bool) {
	r, ok := m.recs[key]
	if !ok {
		return memRecord{}, false
	}
	if !r.live(m.now()) {
		delete(m.recs, key)
		return memRecord{}, false
	}
	return r, true
}

func (m *MemoryKV) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return m.now().Add(ttl)
}

// Get implements store.KV.
func (m *MemoryKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := store.CheckKey("Get", key); err != nil {
		return nil, false, err
	}
	if err := m.begin(ctx, "Get", key); err != nil {
		return nil, false, err
	}
	defer m.mu.Unlock()
	r, ok := m.get(key)
	if !ok {
		return nil, false, nil
	}
	if r.counter {
		return nil, false, store.WrongKind("Get", key)
	}
	return cloneValue(r.value), true, nil
}

// Put implements store.KV.
func (m *MemoryKV) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := store.CheckPut("Put", key, value, ttl); err != nil {
		return err
	}
	if err := m.begin(ctx, "Put", key); err != nil {
		return err
	}
	defer m.mu.Unlock()
	m.recs[key] = memRecord{value: cloneValue(value), expires: m.expiry(ttl)}
	return nil
}

// PutIfAbsent implements store.KV.
func (m *MemoryKV) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := store.CheckPut("PutIfAbsent", key, value, ttl); err != nil {
		return false, err
	}
	if err := m.begin(ctx, "PutIfAbsent", key); err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	if _, ok := m.get(key); ok {
		return false, nil
	}
	m.recs[key] = memRecord{value: cloneValue(value), expires: m.expiry(ttl)}
	return true, nil
}

// CompareAndSwap implements store.KV.
func (m *MemoryKV) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	if err := store.CheckPut("CompareAndSwap", key, new, ttl); err != nil {
		return false, err
	}
	if err := m.begin(ctx, "CompareAndSwap", key); err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	r, ok := m.get(key)
	if !ok || r.counter || !bytes.Equal(r.value, old) {
		return false, nil
	}
	m.recs[key] = memRecord{value: cloneValue(new), expires: m.expiry(ttl)}
	return true, nil
}

// Delete implements store.KV.
func (m *MemoryKV) Delete(ctx context.Context, key string) (bool, error) {
	if err := store.CheckKey("Delete", key); err != nil {
		return false, err
	}
	if err := m.begin(ctx, "Delete", key); err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	_, ok := m.get(key)
	delete(m.recs, key)
	return ok, nil
}

// add applies delta to a counter. The caller holds m.mu.
func (m *MemoryKV) add(op, key string, delta int64) (int64, error) {
	r, ok := m.get(key)
	if ok && !r.counter {
		return 0, store.WrongKind(op, key)
	}
	if (delta > 0 && r.count > math.MaxInt64-delta) || (delta < 0 && r.count < math.MinInt64-delta) {
		return 0, store.Invalid(op, key, "count would overflow")
	}
	r.counter, r.value, r.expires = true, nil, time.Time{}
	r.count += delta
	m.recs[key] = r
	return r.count, nil
}

// Add implements store.KV.
func (m *MemoryKV) Add(ctx context.Context, key string, delta int64) (int64, error) {
	if err := store.CheckKey("Add", key); err != nil {
		return 0, err
	}
	if err := m.begin(ctx, "Add", key); err != nil {
		return 0, err
	}
	defer m.mu.Unlock()
	return m.add("Add", key, delta)
}

// Max implements store.KV.
func (m *MemoryKV) Max(ctx context.Context, key string, v int64) (int64, error) {
	if err := store.CheckKey("Max", key); err != nil {
		return 0, err
	}
	if err := m.begin(ctx, "Max", key); err != nil {
		return 0, err
	}
	defer m.mu.Unlock()
	r, ok := m.get(key)
	if ok && !r.counter {
		return 0, store.WrongKind("Max", key)
	}
	if v > r.count || !ok {
		r = memRecord{counter: true, count: max(v, r.count)}
		m.recs[key] = r
	}
	return r.count, nil
}

// Counter implements store.KV.
func (m *MemoryKV) Counter(ctx context.Context, key string) (int64, error) {
	if err := store.CheckKey("Counter", key); err != nil {
		return 0, err
	}
	if err := m.begin(ctx, "Counter", key); err != nil {
		return 0, err
	}
	defer m.mu.Unlock()
	r, ok := m.get(key)
	if ok && !r.counter {
		return 0, store.WrongKind("Counter", key)
	}
	return r.count, nil
}

// AddMany implements store.KV. Unlike some backends it is atomic: it applies every delta or
// none.
func (m *MemoryKV) AddMany(ctx context.Context, deltas map[string]int64) error {
	for key := range deltas {
		if err := store.CheckKey("AddMany", key); err != nil {
			return err
		}
	}
	if err := m.begin(ctx, "AddMany", ""); err != nil {
		return err
	}
	defer m.mu.Unlock()
	saved := make(map[string]memRecord, len(deltas))
	for key := range deltas {
		if r, ok := m.recs[key]; ok {
			saved[key] = r
		}
	}
	for key, d := range deltas {
		if _, err := m.add("AddMany", key, d); err != nil {
			for k := range deltas {
				if r, ok := saved[k]; ok {
					m.recs[k] = r
				} else {
					delete(m.recs, k)
				}
			}
			return err
		}
	}
	return nil
}

// Scan implements store.KV.
func (m *MemoryKV) Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error) {
	if err := store.CheckScan("Scan", dir, after, limit); err != nil {
		return nil, err
	}
	if err := m.begin(ctx, "Scan", dir); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var keys []string
	for k := range m.recs {
		if d, name := store.Split(k); d == dir && name != "" && k > after {
			if _, ok := m.get(k); ok {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	if len(keys) > limit {
		keys = keys[:limit]
	}
	items := make([]store.Item, len(keys))
	for i, k := range keys {
		r := m.recs[k]
		if r.counter {
			items[i] = store.Item{Key: k, Counter: true, Count: r.count}
		} else {
			items[i] = store.Item{Key: k, Value: cloneValue(r.value)}
		}
	}
	return items, nil
}

func cloneValue(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}
