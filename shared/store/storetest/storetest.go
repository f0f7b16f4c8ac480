// Package storetest is the contract of store.KV as a test suite. Each adapter's tests call Run
// with a function that returns a new, empty store; the suite then checks every rule of the port
// against it, including expiry, concurrency and the limits on keys and values.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// Run runs the contract suite. newKV returns a new store that holds no record, and arranges for
// its release with t.Cleanup. Most subtests run in parallel. The store keeps its own time, so the
// expiry test waits, a few seconds, for values to expire; use RunWithClock for a store whose
// clock can be set.
func Run(t *testing.T, newKV func(t *testing.T) store.KV) {
	run(t, func(t *testing.T) (store.KV, *clock.Manual) { return newKV(t), nil })
}

// RunWithClock runs the contract suite against a store that reads the time from a clock the
// suite moves. newKV returns a new store that holds no record and takes the time from now, and
// arranges for its release with t.Cleanup. The expiry test then moves the clock instead of
// waiting, and checks that each value expires exactly its ttl after its write.
func RunWithClock(t *testing.T, newKV func(t *testing.T, now func() time.Time) store.KV) {
	run(t, func(t *testing.T) (store.KV, *clock.Manual) {
		c := clock.NewManual(time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC))
		return newKV(t, c.Now), c
	})
}

// run runs the suite over the stores of newKV, which returns each with its clock, or with nil
// when the store keeps its own time.
func run(t *testing.T, newKV func(t *testing.T) (store.KV, *clock.Manual)) {
	type test struct {
		name string
		run  func(t *testing.T, kv store.KV)
	}
	tests := []test{
		{"AbsentKeys", testAbsentKeys},
		{"PutAndGet", testPutAndGet},
		{"ValuesAreCopied", testValuesAreCopied},
		{"EmptyAndBinaryValues", testEmptyAndBinaryValues},
		{"LargeValues", testLargeValues},
		{"Keys", testKeys},
		{"InvalidCalls", testInvalidCalls},
		{"PutIfAbsent", testPutIfAbsent},
		{"CompareAndSwap", testCompareAndSwap},
		{"Delete", testDelete},
		{"Add", testAdd},
		{"AddOverflow", testAddOverflow},
		{"Max", testMax},
		{"KindsDoNotMix", testKindsDoNotMix},
		{"AddMany", testAddMany},
		{"Scan", testScan},
		{"ScanPages", testScanPages},
		{"EndedContext", testEndedContext},
	}
	// The concurrency tests load the store heavily; they run one after the other, after the
	// others, so that they do not slow the timing of the expiry test.
	concurrent := []test{
		{"ConcurrentAdd", testConcurrentAdd},
		{"ConcurrentPutIfAbsent", testConcurrentPutIfAbsent},
		{"ConcurrentCompareAndSwap", testConcurrentCompareAndSwap},
		{"ConcurrentMax", testConcurrentMax},
		{"ConcurrentAddMany", testConcurrentAddMany},
	}
	t.Run("Methods", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				kv, _ := newKV(t)
				tc.run(t, kv)
			})
		}
		t.Run("Expiry", func(t *testing.T) {
			t.Parallel()
			kv, c := newKV(t)
			testExpiry(t, kv, c)
		})
	})
	for _, tc := range concurrent {
		t.Run(tc.name, func(t *testing.T) {
			kv, _ := newKV(t)
			tc.run(t, kv)
		})
	}
}

// Integration returns the value of the environment variable that names a test server, such as
// URIBA_TEST_REDIS_ADDR. When it is unset the test fails if URIBA_INTEGRATION is set, and is
// skipped otherwise.
func Integration(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	msg := name + " is not set: start the test servers with eval \"$(scripts/services start)\""
	if os.Getenv("URIBA_INTEGRATION") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// BenchmarkAdd measures Add on one hot counter, from one goroutine and from many, and reports
// operations per second.
func BenchmarkAdd(b *testing.B, kv store.KV) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := kv.Add(ctx, "bench/serial", 1); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := kv.Add(ctx, "bench/parallel", 1); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	})
}

// The TTL of values that must expire during a test, and how long the suite waits at most for
// them to go: DynamoDB rounds the expiry up to the next second, and a busy server may answer
// slowly.
const (
	shortTTL  = 2 * time.Second
	expiryMax = shortTTL + 10*time.Second
)

var ctx = context.Background()

func testAbsentKeys(t *testing.T, kv store.KV) {
	if v, ok, err := kv.Get(ctx, "nothing"); err != nil || ok || v != nil {
		t.Errorf("Get of an absent key = %q, %v, %v; want nil, false, nil", v, ok, err)
	}
	if n, err := kv.Counter(ctx, "nothing"); err != nil || n != 0 {
		t.Errorf("Counter of an absent key = %d, %v; want 0, nil", n, err)
	}
	if existed, err := kv.Delete(ctx, "nothing"); err != nil || existed {
		t.Errorf("Delete of an absent key = %v, %v; want false, nil", existed, err)
	}
	if swapped, err := kv.CompareAndSwap(ctx, "nothing", nil, []byte("x"), 0); err != nil || swapped {
		t.Errorf("CompareAndSwap of an absent key = %v, %v; want false, nil", swapped, err)
	}
	wantValue(t, kv, "nothing", nil)
}

func testPutAndGet(t *testing.T, kv store.KV) {
	put(t, kv, "room#r1", "first", 0)
	wantValue(t, kv, "room#r1", []byte("first"))
	put(t, kv, "room#r1", "second", 0)
	wantValue(t, kv, "room#r1", []byte("second"))
	put(t, kv, "room#r2", "other", 0)
	wantValue(t, kv, "room#r1", []byte("second"))
	wantValue(t, kv, "room#r2", []byte("other"))
}

func testValuesAreCopied(t *testing.T, kv store.KV) {
	in := []byte("abc")
	if err := kv.Put(ctx, "k", in, 0); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	out := wantValue(t, kv, "k", []byte("abc"))
	out[1] = 'Y'
	wantValue(t, kv, "k", []byte("abc"))
}

func testEmptyAndBinaryValues(t *testing.T, kv store.KV) {
	all := make([]byte, 512)
	for i := range all {
		all[i] = byte(i)
	}
	values := map[string][]byte{
		"empty":       {},
		"every byte":  all,
		"not utf8":    {0xff, 0xfe, 0xc3, 0x28},
		"nul":         {0, 0, 0},
		"number":      []byte("42"),
		"negative":    []byte("-7"),
		"json":        []byte(`{"n":1}`),
		"colon":       []byte(":x"),
		"newline":     []byte("a\r\nb\n"),
		"lua pattern": []byte("%s%d[^]"),
	}
	for name, v := range values {
		key := "binary/" + name
		if err := kv.Put(ctx, key, v, 0); err != nil {
			t.Fatalf("Put %s: %v", name, err)
		}
		wantValue(t, kv, key, v)
		// A value that reads like a number is still a value.
		if _, err := kv.Add(ctx, key, 1); !errors.Is(err, store.ErrWrongKind) {
			t.Errorf("Add on the value %s: got %v, want ErrWrongKind", name, err)
		}
		if swapped, err := kv.CompareAndSwap(ctx, key, v, append([]byte("new "), v...), 0); err != nil || !swapped {
			t.Errorf("CompareAndSwap of the value %s = %v, %v; want true, nil", name, swapped, err)
		}
	}
	// nil is stored as the empty value.
	if err := kv.Put(ctx, "nil", nil, 0); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := kv.Get(ctx, "nil"); err != nil || !ok || len(v) != 0 {
		t.Errorf("Get of a nil value = %q, %v, %v; want empty, true, nil", v, ok, err)
	}
	if swapped, err := kv.CompareAndSwap(ctx, "nil", []byte{}, nil, 0); err != nil || !swapped {
		t.Errorf("CompareAndSwap of the empty value = %v, %v; want true, nil", swapped, err)
	}
}

func testLargeValues(t *testing.T, kv store.KV) {
	for _, size := range []int{64 << 10, store.MaxValueSize} {
		v := randomBytes(t, size)
		key := fmt.Sprintf("large/%d", size)
		if err := kv.Put(ctx, key, v, 0); err != nil {
			t.Fatalf("Put of %d bytes: %v", size, err)
		}
		wantValue(t, kv, key, v)
		w := randomBytes(t, size)
		if swapped, err := kv.CompareAndSwap(ctx, key, v, w, 0); err != nil || !swapped {
			t.Fatalf("CompareAndSwap of %d bytes = %v, %v; want true, nil", size, swapped, err)
		}
		wantValue(t, kv, key, w)
	}
	tooLarge := make([]byte, store.MaxValueSize+1)
	wantInvalid(t, "Put", kv.Put(ctx, "large/too", tooLarge, 0))
	_, err := kv.PutIfAbsent(ctx, "large/too", tooLarge, 0)
	wantInvalid(t, "PutIfAbsent", err)
	_, err = kv.CompareAndSwap(ctx, "large/too", nil, tooLarge, 0)
	wantInvalid(t, "CompareAndSwap", err)
	wantValue(t, kv, "large/too", nil)
}

func testKeys(t *testing.T, kv store.KV) {
	longest := strings.Repeat("k", store.MaxKeySize)
	longestDir := strings.Repeat("d", store.MaxKeySize-2) + "/n"
	keys := []string{
		"a", "A", "a#b", "a/b", "a/b/c", "a//b", "/a", "a b", "a\tb", "ルーム/部屋#1", "emoji/🎁",
		"{tag}", "x/{tag}/y", "a:b", "a*b?[c]", "'quote\"", "percent%s", longest, longestDir,
	}
	for i, key := range keys {
		put(t, kv, key, fmt.Sprint(i), 0)
	}
	for i, key := range keys {
		wantValue(t, kv, key, []byte(fmt.Sprint(i)))
	}
	for i, key := range keys[:len(keys)-2] {
		if n := add(t, kv, "count/"+key, int64(i+1)); n != int64(i+1) {
			t.Errorf("Add %q = %d, want %d", "count/"+key, n, i+1)
		}
	}
	for i, key := range keys[:len(keys)-2] {
		wantCounter(t, kv, "count/"+key, int64(i+1))
	}
	for _, key := range keys {
		if existed, err := kv.Delete(ctx, key); err != nil || !existed {
			t.Errorf("Delete %q = %v, %v; want true", key, existed, err)
		}
	}
}

func testInvalidCalls(t *testing.T, kv store.KV) {
	bad := map[string]string{
		"empty":         "",
		"too long":      strings.Repeat("k", store.MaxKeySize+1),
		"trailing /":    "rooms/",
		"only /":        "/",
		"not utf8":      "a\xffb",
		"broken utf8 /": "\xe3\x83/a",
	}
	for name, key := range bad {
		_, _, err := kv.Get(ctx, key)
		wantInvalid(t, "Get "+name, err)
		wantInvalid(t, "Put "+name, kv.Put(ctx, key, []byte("v"), 0))
		_, err = kv.PutIfAbsent(ctx, key, []byte("v"), 0)
		wantInvalid(t, "PutIfAbsent "+name, err)
		_, err = kv.CompareAndSwap(ctx, key, []byte("v"), []byte("w"), 0)
		wantInvalid(t, "CompareAndSwap "+name, err)
		_, err = kv.Delete(ctx, key)
		wantInvalid(t, "Delete "+name, err)
		_, err = kv.Add(ctx, key, 1)
		wantInvalid(t, "Add "+name, err)
		_, err = kv.Max(ctx, key, 1)
		wantInvalid(t, "Max "+name, err)
		_, err = kv.Counter(ctx, key)
		wantInvalid(t, "Counter "+name, err)
		wantInvalid(t, "AddMany "+name, kv.AddMany(ctx, map[string]int64{"fine": 1, key: 1}))
	}
	wantInvalid(t, "Put with a negative ttl", kv.Put(ctx, "k", nil, -time.Second))
	_, err := kv.PutIfAbsent(ctx, "k", nil, -time.Second)
	wantInvalid(t, "PutIfAbsent with a negative ttl", err)
	_, err = kv.CompareAndSwap(ctx, "k", nil, nil, -time.Second)
	wantInvalid(t, "CompareAndSwap with a negative ttl", err)
	// A refused AddMany applies nothing.
	wantCounter(t, kv, "fine", 0)
	wantValue(t, kv, "k", nil)

	scans := []struct {
		name, dir, after string
		limit            int
	}{
		{"no slash", "rooms", "", 10},
		{"empty dir", "", "", 10},
		{"zero limit", "rooms/", "", 0},
		{"limit too large", "rooms/", "", store.MaxScan + 1},
		{"after elsewhere", "rooms/", "other/r1", 10},
		{"after nested", "rooms/", "rooms/a/b", 10},
		{"after is the dir", "rooms/", "rooms/", 10},
		{"dir too long", strings.Repeat("d", store.MaxKeySize) + "/", "", 10},
		{"dir not utf8", "\xff/", "", 10},
	}
	for _, s := range scans {
		_, err := kv.Scan(ctx, s.dir, s.after, s.limit)
		wantInvalid(t, "Scan "+s.name, err)
	}
}

func testPutIfAbsent(t *testing.T, kv store.KV) {
	if created, err := kv.PutIfAbsent(ctx, "dedupe#1", []byte("first"), 0); err != nil || !created {
		t.Fatalf("first PutIfAbsent = %v, %v; want true, nil", created, err)
	}
	if created, err := kv.PutIfAbsent(ctx, "dedupe#1", []byte("second"), 0); err != nil || created {
		t.Fatalf("second PutIfAbsent = %v, %v; want false, nil", created, err)
	}
	wantValue(t, kv, "dedupe#1", []byte("first"))
	deleteKey(t, kv, "dedupe#1", true)
	if created, err := kv.PutIfAbsent(ctx, "dedupe#1", []byte("third"), 0); err != nil || !created {
		t.Fatalf("PutIfAbsent after Delete = %v, %v; want true, nil", created, err)
	}
	wantValue(t, kv, "dedupe#1", []byte("third"))

	// A counter is a record: the key is not absent.
	add(t, kv, "likes#r1", 3)
	if created, err := kv.PutIfAbsent(ctx, "likes#r1", []byte("v"), 0); err != nil || created {
		t.Fatalf("PutIfAbsent on a counter = %v, %v; want false, nil", created, err)
	}
	wantCounter(t, kv, "likes#r1", 3)

	// A long ttl does not make the value absent.
	if created, err := kv.PutIfAbsent(ctx, "dedupe/d/2", []byte("v"), time.Hour); err != nil || !created {
		t.Fatalf("PutIfAbsent with a ttl = %v, %v; want true, nil", created, err)
	}
	if created, err := kv.PutIfAbsent(ctx, "dedupe/d/2", []byte("w"), time.Hour); err != nil || created {
		t.Fatalf("PutIfAbsent on an unexpired value = %v, %v; want false, nil", created, err)
	}
	wantValue(t, kv, "dedupe/d/2", []byte("v"))
}

func testCompareAndSwap(t *testing.T, kv store.KV) {
	put(t, kv, "wallet#u1", "100", 0)
	if swapped, err := kv.CompareAndSwap(ctx, "wallet#u1", []byte("99"), []byte("0"), 0); err != nil || swapped {
		t.Fatalf("CompareAndSwap with a stale old = %v, %v; want false, nil", swapped, err)
	}
	wantValue(t, kv, "wallet#u1", []byte("100"))
	if swapped, err := kv.CompareAndSwap(ctx, "wallet#u1", []byte("100"), []byte("90"), 0); err != nil || !swapped {
		t.Fatalf("CompareAndSwap = %v, %v; want true, nil", swapped, err)
	}
	wantValue(t, kv, "wallet#u1", []byte("90"))
	// A prefix or an extension of the value does not match.
	for _, old := range []string{"9", "900", "90\x00", ""} {
		if swapped, err := kv.CompareAndSwap(ctx, "wallet#u1", []byte(old), []byte("x"), 0); err != nil || swapped {
			t.Errorf("CompareAndSwap with old %q = %v, %v; want false, nil", old, swapped, err)
		}
	}
	// A counter is never swapped, even with old its decimal form.
	add(t, kv, "wallet/count", 5)
	for _, old := range [][]byte{nil, []byte("5")} {
		if swapped, err := kv.CompareAndSwap(ctx, "wallet/count", old, []byte("x"), 0); err != nil || swapped {
			t.Errorf("CompareAndSwap on a counter with old %q = %v, %v; want false, nil", old, swapped, err)
		}
	}
	wantCounter(t, kv, "wallet/count", 5)
	// A swap gives the value the new ttl.
	if swapped, err := kv.CompareAndSwap(ctx, "wallet#u1", []byte("90"), []byte("80"), time.Hour); err != nil || !swapped {
		t.Fatalf("CompareAndSwap with a ttl = %v, %v; want true, nil", swapped, err)
	}
	wantValue(t, kv, "wallet#u1", []byte("80"))
}

func testDelete(t *testing.T, kv store.KV) {
	put(t, kv, "rooms/r1", "v", 0)
	add(t, kv, "rooms/likes", 2)
	deleteKey(t, kv, "rooms/r1", true)
	deleteKey(t, kv, "rooms/r1", false)
	wantValue(t, kv, "rooms/r1", nil)
	deleteKey(t, kv, "rooms/likes", true)
	deleteKey(t, kv, "rooms/likes", false)
	wantCounter(t, kv, "rooms/likes", 0)
	// A deleted counter starts again at 0.
	if n := add(t, kv, "rooms/likes", 1); n != 1 {
		t.Errorf("Add after Delete = %d, want 1", n)
	}
	wantScan(t, kv, "rooms/", "rooms/likes")
}

func testAdd(t *testing.T, kv store.KV) {
	steps := []struct{ delta, want int64 }{{5, 5}, {-8, -3}, {0, -3}, {1 << 40, 1<<40 - 3}, {-(1 << 40), -3}}
	for _, s := range steps {
		if n := add(t, kv, "likes#r1", s.delta); n != s.want {
			t.Fatalf("Add(%d) = %d, want %d", s.delta, n, s.want)
		}
	}
	wantCounter(t, kv, "likes#r1", -3)
	// Adding 0 to an absent counter reads it.
	if n := add(t, kv, "likes#none", 0); n != 0 {
		t.Errorf("Add(0) on an absent counter = %d, want 0", n)
	}
	// Put replaces a counter with a value.
	put(t, kv, "likes#r1", "v", 0)
	wantValue(t, kv, "likes#r1", []byte("v"))
}

func testAddOverflow(t *testing.T, kv store.KV) {
	add(t, kv, "big", math.MaxInt64-1)
	if n := add(t, kv, "big", 1); n != math.MaxInt64 {
		t.Fatalf("Add up to MaxInt64 = %d", n)
	}
	_, err := kv.Add(ctx, "big", 1)
	wantInvalid(t, "Add past MaxInt64", err)
	wantCounter(t, kv, "big", math.MaxInt64)
	add(t, kv, "small", math.MinInt64)
	_, err = kv.Add(ctx, "small", -1)
	wantInvalid(t, "Add past MinInt64", err)
	wantCounter(t, kv, "small", math.MinInt64)
	if n := add(t, kv, "small", math.MaxInt64); n != -1 {
		t.Errorf("MinInt64 + MaxInt64 = %d, want -1", n)
	}
}

func testMax(t *testing.T, kv store.KV) {
	steps := []struct{ v, want int64 }{{3, 3}, {2, 3}, {3, 3}, {10, 10}, {-5, 10}, {math.MaxInt64, math.MaxInt64}}
	for _, s := range steps {
		if n := maxOf(t, kv, "peak#r1", s.v); n != s.want {
			t.Fatalf("Max(%d) = %d, want %d", s.v, n, s.want)
		}
	}
	wantCounter(t, kv, "peak#r1", math.MaxInt64)
	// An absent counter is 0.
	if n := maxOf(t, kv, "peak#r2", -4); n != 0 {
		t.Errorf("Max(-4) on an absent counter = %d, want 0", n)
	}
	if n := maxOf(t, kv, "peak#r2", 0); n != 0 {
		t.Errorf("Max(0) on an absent counter = %d, want 0", n)
	}
	// A negative counter is raised.
	add(t, kv, "peak#r3", -10)
	if n := maxOf(t, kv, "peak#r3", -4); n != -4 {
		t.Errorf("Max(-4) on -10 = %d, want -4", n)
	}
	if n := maxOf(t, kv, "peak#r3", math.MinInt64); n != -4 {
		t.Errorf("Max(MinInt64) on -4 = %d, want -4", n)
	}
	// Max and Add work on one counter.
	if n := add(t, kv, "peak#r3", 5); n != 1 {
		t.Errorf("Add(5) on -4 = %d, want 1", n)
	}
	// Large counters compare exactly, beyond the precision of a float64.
	add(t, kv, "peak#r4", 1<<53)
	if n := maxOf(t, kv, "peak#r4", 1<<53+1); n != 1<<53+1 {
		t.Errorf("Max(2^53+1) on 2^53 = %d, want 2^53+1", n)
	}
	if n := maxOf(t, kv, "peak#r4", 1<<53); n != 1<<53+1 {
		t.Errorf("Max(2^53) on 2^53+1 = %d, want 2^53+1", n)
	}
	if n := maxOf(t, kv, "peak#r4", -(1<<53 + 1)); n != 1<<53+1 {
		t.Errorf("Max(-2^53-1) on 2^53+1 = %d, want 2^53+1", n)
	}
	if n := maxOf(t, kv, "peak#r4", 999999999999999999); n != 999999999999999999 {
		t.Errorf("Max(999999999999999999) = %d", n)
	}
}

func testKindsDoNotMix(t *testing.T, kv store.KV) {
	put(t, kv, "room/value", "12", 0)
	add(t, kv, "room/counter", 12)
	if _, err := kv.Add(ctx, "room/value", 1); !errors.Is(err, store.ErrWrongKind) {
		t.Errorf("Add on a value: got %v, want ErrWrongKind", err)
	}
	if _, err := kv.Max(ctx, "room/value", 100); !errors.Is(err, store.ErrWrongKind) {
		t.Errorf("Max on a value: got %v, want ErrWrongKind", err)
	}
	if _, err := kv.Counter(ctx, "room/value"); !errors.Is(err, store.ErrWrongKind) {
		t.Errorf("Counter on a value: got %v, want ErrWrongKind", err)
	}
	_, _, err := kv.Get(ctx, "room/counter")
	if !errors.Is(err, store.ErrWrongKind) {
		t.Errorf("Get on a counter: got %v, want ErrWrongKind", err)
	}
	if code := errorCode(err); code != live.EInternal {
		t.Errorf("ErrorCode = %q, want %q", code, live.EInternal)
	}
	// Nothing changed.
	wantValue(t, kv, "room/value", []byte("12"))
	wantCounter(t, kv, "room/counter", 12)
	// Put turns a counter into a value, Delete makes room for a counter.
	put(t, kv, "room/counter", "now a value", 0)
	wantValue(t, kv, "room/counter", []byte("now a value"))
	deleteKey(t, kv, "room/value", true)
	if n := add(t, kv, "room/value", 2); n != 2 {
		t.Errorf("Add after Delete = %d, want 2", n)
	}
}

func testAddMany(t *testing.T, kv store.KV) {
	if err := kv.AddMany(ctx, nil); err != nil {
		t.Fatalf("AddMany(nil): %v", err)
	}
	add(t, kv, "gifts/r1/total", 10)
	deltas := map[string]int64{"gifts/r1/total": 5, "gifts/r1/u1": 3, "gifts/r1/u2": -2, "coins#r1": 0, "coins#r2": 7}
	if err := kv.AddMany(ctx, deltas); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"gifts/r1/total": 15, "gifts/r1/u1": 3, "gifts/r1/u2": -2, "coins#r1": 0, "coins#r2": 7}
	for key, n := range want {
		wantCounter(t, kv, key, n)
	}
	wantScan(t, kv, "gifts/r1/", "gifts/r1/total", "gifts/r1/u1", "gifts/r1/u2")
	// A value among the keys is an error; the other deltas may or may not have been applied, and
	// the error tells which may not have been.
	put(t, kv, "gifts/r1/name", "v", 0)
	failing := map[string]int64{"gifts/r1/u1": 1, "gifts/r1/name": 1}
	err := kv.AddMany(ctx, failing)
	if !errors.Is(err, store.ErrWrongKind) {
		t.Errorf("AddMany with a value: got %v, want ErrWrongKind", err)
	}
	wantValue(t, kv, "gifts/r1/name", []byte("v"))
	unapplied := store.Unapplied(err, failing)
	if _, ok := unapplied["gifts/r1/name"]; !ok {
		t.Errorf("Unapplied after a failed AddMany = %v, want it to hold the failing key", unapplied)
	}
	wantU1 := int64(4)
	if _, ok := unapplied["gifts/r1/u1"]; ok {
		wantU1 = 3
	}
	wantCounter(t, kv, "gifts/r1/u1", wantU1)
	// Applying what it reports unapplied, once the failure is gone, completes the call.
	deleteKey(t, kv, "gifts/r1/name", true)
	if err := kv.AddMany(ctx, unapplied); err != nil {
		t.Fatal(err)
	}
	wantCounter(t, kv, "gifts/r1/u1", 4)
	wantCounter(t, kv, "gifts/r1/name", 1)
}

// testExpiry checks expiry against c, or against the wall clock when c is nil.
func testExpiry(t *testing.T, kv store.KV, c *clock.Manual) {
	now := time.Now
	if c != nil {
		now = c.Now
	}
	written := now()
	put(t, kv, "ttl/put", "v", shortTTL)
	put(t, kv, "ttl/replaced", "v", shortTTL)
	put(t, kv, "ttl/replaced", "forever", 0)
	put(t, kv, "ttl/kept", "v", 0)
	put(t, kv, "ttl/deleted", "v", shortTTL)
	put(t, kv, "ttl/added", "v", shortTTL)
	put(t, kv, "ttl/maxed", "v", shortTTL)
	put(t, kv, "ttl#nodir", "v", shortTTL)
	put(t, kv, "ttl/long", "v", time.Hour)
	if created, err := kv.PutIfAbsent(ctx, "ttl/absent", []byte("v"), shortTTL); err != nil || !created {
		t.Fatalf("PutIfAbsent = %v, %v", created, err)
	}
	put(t, kv, "ttl/swapped", "v", 0)
	if swapped, err := kv.CompareAndSwap(ctx, "ttl/swapped", []byte("v"), []byte("w"), shortTTL); err != nil || !swapped {
		t.Fatalf("CompareAndSwap = %v, %v", swapped, err)
	}
	put(t, kv, "ttl/unswapped", "v", shortTTL)
	if swapped, err := kv.CompareAndSwap(ctx, "ttl/unswapped", []byte("v"), []byte("w"), 0); err != nil || !swapped {
		t.Fatalf("CompareAndSwap = %v, %v", swapped, err)
	}
	expiring := []string{"ttl/put", "ttl/deleted", "ttl/added", "ttl/maxed", "ttl#nodir", "ttl/absent", "ttl/swapped"}
	if c != nil {
		// Every value is there until the last moment before its ttl.
		c.Advance(shortTTL - time.Nanosecond)
	}
	// Every value is there before its ttl. On the wall clock the check means something only
	// when it ends before the ttl, which a busy server may not allow.
	var early []string
	for _, key := range expiring {
		if _, ok, err := kv.Get(ctx, key); err != nil {
			t.Fatal(err)
		} else if !ok {
			early = append(early, "Get "+key+" found nothing")
		}
	}
	items, err := kv.Scan(ctx, "ttl/", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 10 {
		early = append(early, fmt.Sprintf("Scan found %d values, want 10", len(items)))
	}
	if now().Sub(written) < shortTTL {
		for _, e := range early {
			t.Errorf("before the ttl: %s", e)
		}
	} else {
		t.Logf("the store answered too slowly to check values before their ttl")
	}

	if c != nil {
		// Each expiring value disappears at its ttl.
		c.Advance(time.Nanosecond)
		for _, key := range expiring {
			if _, ok, err := kv.Get(ctx, key); err != nil {
				t.Fatal(err)
			} else if ok {
				t.Fatalf("%s still there at its ttl", key)
			}
		}
	} else {
		// Each expiring value disappears no sooner than its ttl, and soon after.
		for _, key := range expiring {
			waitForExpiry(t, kv, key, written)
		}
	}
	// Every method sees the expired values as absent.
	wantValue(t, kv, "ttl/put", nil)
	wantValue(t, kv, "ttl/replaced", []byte("forever"))
	wantValue(t, kv, "ttl/kept", []byte("v"))
	wantValue(t, kv, "ttl/unswapped", []byte("w"))
	wantValue(t, kv, "ttl/long", []byte("v"))
	wantScan(t, kv, "ttl/", "ttl/kept", "ttl/long", "ttl/replaced", "ttl/unswapped")
	deleteKey(t, kv, "ttl/deleted", false)
	if n := add(t, kv, "ttl/added", 2); n != 2 {
		t.Errorf("Add on an expired value = %d, want 2", n)
	}
	if n := maxOf(t, kv, "ttl/maxed", 7); n != 7 {
		t.Errorf("Max on an expired value = %d, want 7", n)
	}
	if n := counter(t, kv, "ttl#nodir"); n != 0 {
		t.Errorf("Counter on an expired value = %d, want 0", n)
	}
	if swapped, err := kv.CompareAndSwap(ctx, "ttl/swapped", []byte("w"), []byte("x"), 0); err != nil || swapped {
		t.Errorf("CompareAndSwap on an expired value = %v, %v; want false, nil", swapped, err)
	}
	if created, err := kv.PutIfAbsent(ctx, "ttl/absent", []byte("again"), 0); err != nil || !created {
		t.Errorf("PutIfAbsent on an expired value = %v, %v; want true, nil", created, err)
	}
	wantValue(t, kv, "ttl/absent", []byte("again"))
	wantScan(t, kv, "ttl/", "ttl/absent", "ttl/added", "ttl/kept", "ttl/long", "ttl/maxed", "ttl/replaced", "ttl/unswapped")
	// The counters made from expired values do not expire.
	wantCounter(t, kv, "ttl/added", 2)
	wantCounter(t, kv, "ttl/maxed", 7)
}

// waitForExpiry waits on the wall clock for the value of key, written at written with the ttl
// shortTTL, to expire, and fails when it does before its ttl or long after.
func waitForExpiry(t *testing.T, kv store.KV, key string, written time.Time) {
	for {
		_, ok, err := kv.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(written)
		if !ok {
			if elapsed < shortTTL {
				t.Fatalf("%s expired after %v, before its ttl %v", key, elapsed, shortTTL)
			}
			return
		}
		if elapsed > expiryMax {
			t.Fatalf("%s still there after %v", key, elapsed)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testScan(t *testing.T, kv store.KV) {
	if items, err := kv.Scan(ctx, "rooms/status/live/", "", 10); err != nil || len(items) != 0 {
		t.Fatalf("Scan of an empty directory = %v, %v; want nothing", items, err)
	}
	for _, key := range []string{
		"rooms/status/live/r2", "rooms/status/live/r1", "rooms/status/live/r10", "rooms/status/live/ルーム",
		"rooms/status/live/R0", "rooms/status/live/r1/nested", "rooms/status/live/r1/nested/deeper",
		"rooms/status/liveX/r3", "rooms/status/live", "rooms/status/ended/r4", "rooms/status/r5",
		"rooms/status/live/~", "rooms/status/live0/r6",
	} {
		put(t, kv, key, "v:"+key, 0)
	}
	add(t, kv, "rooms/status/live/count", 4)
	items, err := kv.Scan(ctx, "rooms/status/live/", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Item{
		{Key: "rooms/status/live/R0", Value: []byte("v:rooms/status/live/R0")},
		{Key: "rooms/status/live/count", Counter: true, Count: 4},
		{Key: "rooms/status/live/r1", Value: []byte("v:rooms/status/live/r1")},
		{Key: "rooms/status/live/r10", Value: []byte("v:rooms/status/live/r10")},
		{Key: "rooms/status/live/r2", Value: []byte("v:rooms/status/live/r2")},
		{Key: "rooms/status/live/~", Value: []byte("v:rooms/status/live/~")},
		{Key: "rooms/status/live/ルーム", Value: []byte("v:rooms/status/live/ルーム")},
	}
	wantItems(t, items, want)
	wantScan(t, kv, "rooms/status/live/r1/", "rooms/status/live/r1/nested")
	wantScan(t, kv, "rooms/status/", "rooms/status/live", "rooms/status/r5")
	wantScan(t, kv, "rooms/")
	deleteKey(t, kv, "rooms/status/live/r1", true)
	put(t, kv, "rooms/status/live/r2", "", 0)
	items, err = kv.Scan(ctx, "rooms/status/live/", "rooms/status/live/count", 2)
	if err != nil {
		t.Fatal(err)
	}
	wantItems(t, items, []store.Item{
		{Key: "rooms/status/live/r10", Value: []byte("v:rooms/status/live/r10")},
		{Key: "rooms/status/live/r2", Value: []byte{}},
	})
	wantScan(t, kv, "rooms/status/live/", "rooms/status/live/R0", "rooms/status/live/count", "rooms/status/live/r10",
		"rooms/status/live/r2", "rooms/status/live/~", "rooms/status/live/ルーム")
	// after need not be a key that exists.
	items, err = kv.Scan(ctx, "rooms/status/live/", "rooms/status/live/r", 1)
	if err != nil || len(items) != 1 || items[0].Key != "rooms/status/live/r10" {
		t.Errorf("Scan after a missing key = %v, %v; want rooms/status/live/r10", items, err)
	}
}

func testScanPages(t *testing.T, kv store.KV) {
	const n = 57
	var want []string
	for i := range n {
		key := fmt.Sprintf("pages/k%03d", i)
		want = append(want, key)
		if i%3 == 0 {
			add(t, kv, key, int64(i))
		} else {
			put(t, kv, key, key, 0)
		}
	}
	for i := range 20 {
		put(t, kv, fmt.Sprintf("pages/k%03d/x", i), "nested", 0)
	}
	for _, limit := range []int{1, 7, n, store.MaxScan} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatalf("limit %d: Scan does not end", limit)
			}
			items, err := kv.Scan(ctx, "pages/", after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) > limit {
				t.Fatalf("limit %d: Scan returned %d items", limit, len(items))
			}
			for _, it := range items {
				got = append(got, it.Key)
			}
			if len(items) < limit {
				break
			}
			after = items[len(items)-1].Key
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("limit %d: pages listed %v, want %v", limit, got, want)
		}
	}
}

func testConcurrentAdd(t *testing.T, kv store.KV) {
	const goroutines, adds = 50, 20
	var wg sync.WaitGroup
	seen := make([]atomic.Bool, goroutines*adds+1)
	for range goroutines {
		wg.Go(func() {
			for range adds {
				n, err := kv.Add(ctx, "likes/hot", 1)
				if err != nil {
					t.Error(err)
					return
				}
				if n < 1 || n > goroutines*adds || seen[n].Swap(true) {
					t.Errorf("Add returned %d twice or out of range", n)
				}
			}
		})
	}
	wg.Wait()
	wantCounter(t, kv, "likes/hot", goroutines*adds)
}

func testConcurrentPutIfAbsent(t *testing.T, kv store.KV) {
	const racers = 20
	for round := range 3 {
		key := fmt.Sprintf("dedupe/msg-%d", round)
		var created atomic.Int32
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				ok, err := kv.PutIfAbsent(ctx, key, fmt.Appendf(nil, "racer %d", i), time.Hour)
				if err != nil {
					t.Error(err)
				}
				if ok {
					created.Add(1)
				}
			})
		}
		wg.Wait()
		if n := created.Load(); n != 1 {
			t.Errorf("round %d: %d racing PutIfAbsent created the record, want exactly 1", round, n)
		}
	}
}

func testConcurrentCompareAndSwap(t *testing.T, kv store.KV) {
	const goroutines, increments = 8, 8
	put(t, kv, "wallet/u1", "0", 0)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range increments {
				for attempt := 0; ; attempt++ {
					if attempt > 1000 {
						t.Error("CompareAndSwap never succeeded")
						return
					}
					old, ok, err := kv.Get(ctx, "wallet/u1")
					if err != nil || !ok {
						t.Errorf("Get = %v, %v", ok, err)
						return
					}
					n, err := strconv.Atoi(string(old))
					if err != nil {
						t.Errorf("the wallet holds %q", old)
						return
					}
					swapped, err := kv.CompareAndSwap(ctx, "wallet/u1", old, fmt.Append(nil, n+1), 0)
					if err != nil {
						t.Error(err)
						return
					}
					if swapped {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	wantValue(t, kv, "wallet/u1", fmt.Append(nil, goroutines*increments))
}

func testConcurrentMax(t *testing.T, kv store.KV) {
	const goroutines = 50
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			n, err := kv.Max(ctx, "peak/r1", int64(i))
			if err != nil {
				t.Error(err)
			} else if n < int64(i) {
				t.Errorf("Max(%d) = %d, lower than asked", i, n)
			}
		})
	}
	wg.Wait()
	wantCounter(t, kv, "peak/r1", goroutines-1)
}

func testConcurrentAddMany(t *testing.T, kv store.KV) {
	const goroutines = 20
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			if err := kv.AddMany(ctx, map[string]int64{"sum/a": 1, "sum/b": 2, "sum#c": -1}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	wantCounter(t, kv, "sum/a", goroutines)
	wantCounter(t, kv, "sum/b", 2*goroutines)
	wantCounter(t, kv, "sum#c", -goroutines)
}

func testEndedContext(t *testing.T, kv store.KV) {
	put(t, kv, "k", "v", 0)
	ended, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err := kv.Get(ended, "k")
	wantUnavailable(t, "Get", err)
	wantUnavailable(t, "Put", kv.Put(ended, "k", []byte("w"), 0))
	_, err = kv.PutIfAbsent(ended, "j", []byte("w"), 0)
	wantUnavailable(t, "PutIfAbsent", err)
	_, err = kv.CompareAndSwap(ended, "k", []byte("v"), []byte("w"), 0)
	wantUnavailable(t, "CompareAndSwap", err)
	_, err = kv.Delete(ended, "k")
	wantUnavailable(t, "Delete", err)
	_, err = kv.Add(ended, "n", 1)
	wantUnavailable(t, "Add", err)
	_, err = kv.Max(ended, "n", 1)
	wantUnavailable(t, "Max", err)
	_, err = kv.Counter(ended, "n")
	wantUnavailable(t, "Counter", err)
	wantUnavailable(t, "AddMany", kv.AddMany(ended, map[string]int64{"n": 1, "m": 1}))
	_, err = kv.Scan(ended, "d/", "", 1)
	wantUnavailable(t, "Scan", err)
	wantValue(t, kv, "k", []byte("v"))
	wantCounter(t, kv, "n", 0)
	wantCounter(t, kv, "m", 0)
}

func put(t *testing.T, kv store.KV, key, value string, ttl time.Duration) {
	t.Helper()
	if err := kv.Put(ctx, key, []byte(value), ttl); err != nil {
		t.Fatalf("Put %q: %v", key, err)
	}
}

func add(t *testing.T, kv store.KV, key string, delta int64) int64 {
	t.Helper()
	n, err := kv.Add(ctx, key, delta)
	if err != nil {
		t.Fatalf("Add %q: %v", key, err)
	}
	return n
}

func maxOf(t *testing.T, kv store.KV, key string, v int64) int64 {
	t.Helper()
	n, err := kv.Max(ctx, key, v)
	if err != nil {
		t.Fatalf("Max %q: %v", key, err)
	}
	return n
}

func counter(t *testing.T, kv store.KV, key string) int64 {
	t.Helper()
	n, err := kv.Counter(ctx, key)
	if err != nil {
		t.Fatalf("Counter %q: %v", key, err)
	}
	return n
}

func deleteKey(t *testing.T, kv store.KV, key string, want bool) {
	t.Helper()
	existed, err := kv.Delete(ctx, key)
	if err != nil {
		t.Fatalf("Delete %q: %v", key, err)
	}
	if existed != want {
		t.Errorf("Delete %q = %v, want %v", key, existed, want)
	}
}

// wantValue checks the value of key, nil meaning absent, and returns what Get returned.
func wantValue(t *testing.T, kv store.KV, key string, want []byte) []byte {
	t.Helper()
	got, ok, err := kv.Get(ctx, key)
	switch {
	case err != nil:
		t.Fatalf("Get %q: %v", key, err)
	case want == nil && ok:
		t.Errorf("Get %q = %q, want no value", key, shorten(got))
	case want != nil && !ok:
		t.Errorf("Get %q found no value, want %q", key, shorten(want))
	case want != nil && !bytes.Equal(got, want):
		t.Errorf("Get %q = %q (%d bytes), want %q (%d bytes)", key, shorten(got), len(got), shorten(want), len(want))
	case ok && got == nil:
		t.Errorf("Get %q returned a nil slice with ok", key)
	}
	return got
}

func wantCounter(t *testing.T, kv store.KV, key string, want int64) {
	t.Helper()
	if n := counter(t, kv, key); n != want {
		t.Errorf("Counter %q = %d, want %d", key, n, want)
	}
}

func wantScan(t *testing.T, kv store.KV, dir string, keys ...string) {
	t.Helper()
	items, err := kv.Scan(ctx, dir, "", store.MaxScan)
	if err != nil {
		t.Fatalf("Scan %q: %v", dir, err)
	}
	got := make([]string, len(items))
	for i, it := range items {
		got[i] = it.Key
	}
	if strings.Join(got, "\n") != strings.Join(keys, "\n") {
		t.Errorf("Scan %q = %q, want %q", dir, got, keys)
	}
}

func wantItems(t *testing.T, got, want []store.Item) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("Scan returned %d items, want %d: %v", len(got), len(want), got)
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Counter != w.Counter || g.Count != w.Count || !bytes.Equal(g.Value, w.Value) ||
			(g.Counter && g.Value != nil) || (!g.Counter && g.Value == nil) {
			t.Errorf("item %d = %+v, want %+v", i, g, w)
		}
	}
}

func wantInvalid(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("%s: got %v, want ErrInvalid", what, err)
		return
	}
	if code := errorCode(err); code != live.EInternal {
		t.Errorf("%s: ErrorCode = %q, want %q", what, code, live.EInternal)
	}
}

func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("%s with an ended context: got %v, want ErrUnavailable wrapping context.Canceled", what, err)
		return
	}
	if code := errorCode(err); code != live.EStoreUnavailable {
		t.Errorf("%s: ErrorCode = %q, want %q", what, code, live.EStoreUnavailable)
	}
}

func errorCode(err error) string {
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return ""
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func shorten(b []byte) []byte {
	if len(b) > 40 {
		return append(b[:40:40], "…"...)
	}
	return b
}
