package bolt

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/store"
)

// BenchmarkWrite measures the latency of one writer alone, and the throughput of many writers at
// once doing the mix of calls a gift makes.
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	b.Run("serial/Put", func(b *testing.B) {
		s := newStore(b)
		for b.Loop() {
			if err := s.Put(ctx, "rooms/r1", []byte("live"), 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("serial/CompareAndSwap", func(b *testing.B) {
		s := newStore(b)
		cur := []byte("0")
		if err := s.Put(ctx, "wallet#u1", cur, 0); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			i++
			next := []byte(strconv.Itoa(i))
			if ok, err := s.CompareAndSwap(ctx, "wallet#u1", cur, next, 0); err != nil || !ok {
				b.Fatal(ok, err)
			}
			cur = next
		}
	})
	// p is the number of writers per CPU.
	for _, p := range []int{1, 4, 50} {
		b.Run("parallel/gift/p="+strconv.Itoa(p), func(b *testing.B) { benchmarkGifts(b, p, false) })
	}
	b.Run("parallel/gift-refused/p=50", func(b *testing.B) { benchmarkGifts(b, 50, true) })
}

// benchmarkGifts runs perCPU writers per CPU, each doing the store calls of one gift per
// iteration: a dedupe record, a wallet debit by CompareAndSwap, counters, a peak and a few values.
// With refused, one more call of each gift is refused with ErrWrongKind. It reports store calls
// per second.
func benchmarkGifts(b *testing.B, perCPU int, refused bool) {
	ctx := context.Background()
	s := newStore(b)
	if err := s.Put(ctx, "value", []byte("v"), 0); err != nil {
		b.Fatal(err)
	}
	var writers, calls atomic.Int64
	b.SetParallelism(perCPU)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		w := strconv.FormatInt(writers.Add(1), 10)
		wallet := "wallet#" + w
		cur := []byte("0")
		if err := s.Put(ctx, wallet, cur, 0); err != nil {
			b.Error(err)
			return
		}
		n := int64(0)
		fail := func(err error) bool {
			if err != nil {
				b.Error(err)
			}
			return err != nil
		}
		for i := 0; pb.Next(); i++ {
			id := w + "." + strconv.Itoa(i)
			if _, err := s.PutIfAbsent(ctx, "dedupe#gift#"+id, []byte("1"), time.Minute); fail(err) {
				return
			}
			next := []byte(strconv.Itoa(i + 1))
			if ok, err := s.CompareAndSwap(ctx, wallet, cur, next, 0); fail(err) {
				return
			} else if !ok {
				b.Error("the wallet's swap was lost")
				return
			}
			cur = next
			for _, key := range []string{"gifts#r1", "coins#r1", "coins#u" + w, "level#u" + w} {
				if _, err := s.Add(ctx, key, 1); fail(err) {
					return
				}
			}
			n++
			if _, err := s.Max(ctx, "peak#r1", n); fail(err) {
				return
			}
			if err := s.AddMany(ctx, map[string]int64{"likes#r1": 1, "likes#u" + w: 1, "score#r1": 2}); fail(err) {
				return
			}
			for _, key := range []string{"rooms/r1/last", "rooms/r1/top/" + w, "events/r1/" + id} {
				if err := s.Put(ctx, key, []byte(id), time.Hour); fail(err) {
					return
				}
			}
			if _, err := s.Delete(ctx, "dedupe#gift#"+id); fail(err) {
				return
			}
			if _, err := s.PutIfAbsent(ctx, "receipt#"+id, []byte("1"), 0); fail(err) {
				return
			}
			c := int64(13)
			if refused {
				if _, err := s.Add(ctx, "value", 1); !errors.Is(err, store.ErrWrongKind) {
					b.Errorf("Add on a value: got %v", err)
					return
				}
				c++
			}
			calls.Add(c)
		}
	})
	b.ReportMetric(float64(calls.Load())/time.Since(start).Seconds(), "calls/s")
}
