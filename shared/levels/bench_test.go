package levels_test

import (
	"context"
	"crypto/rand"
	"fmt"
	mathrand "math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/uriba-live/uriba/shared/awsclient"
	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/bolt"
	"github.com/uriba-live/uriba/shared/store/dynamo"
	"github.com/uriba-live/uriba/shared/store/redis"
)

// backend opens a store for a benchmark.
type backend struct {
	name string
	open func(b *testing.B) store.KV
}

// backends returns bolt, and redis and DynamoDB when their test servers are named by
// URIBA_TEST_REDIS_ADDR and URIBA_TEST_DYNAMODB_ENDPOINT.
func backends() []backend {
	out := []backend{{"bolt", func(b *testing.B) store.KV { return openBolt(b) }}}
	if addr := os.Getenv("URIBA_TEST_REDIS_ADDR"); addr != "" {
		out = append(out, backend{"redis", func(b *testing.B) store.KV {
			s := redis.New(goredis.NewClient(&goredis.Options{Addr: addr}), "bench:"+rand.Text()[:10]+":")
			b.Cleanup(func() { s.Close() })
			return s
		}})
	}
	if endpoint := os.Getenv("URIBA_TEST_DYNAMODB_ENDPOINT"); endpoint != "" {
		out = append(out, backend{"dynamodb", func(b *testing.B) store.KV {
			for k, v := range map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_REGION": "us-east-1",
				"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true"} {
				b.Setenv(k, v)
			}
			ctx := context.Background()
			c := config.NewLoader(os.Getenv).AWS()
			s := dynamo.Open(awsclient.Config(c), c.DynamoDBEndpoint, "levels-bench-"+strings.ToLower(rand.Text()[:10]))
			if err := s.CreateTable(ctx); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.DeleteTable(context.Background()) })
			return s
		}})
	}
	return out
}

// openBolt returns an empty bolt store in a temporary file.
func openBolt(t testing.TB) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "levels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// countingKV counts the reads and writes the Updater makes of a real store.
type countingKV struct {
	store.KV
	gets, putIfAbsents, compareAndSwaps atomic.Int64
}

func (c *countingKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	c.gets.Add(1)
	return c.KV.Get(ctx, key)
}

func (c *countingKV) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	c.putIfAbsents.Add(1)
	return c.KV.PutIfAbsent(ctx, key, value, ttl)
}

func (c *countingKV) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	c.compareAndSwaps.Add(1)
	return c.KV.CompareAndSwap(ctx, key, old, new, ttl)
}

// calls returns how many times the method op was called.
func (c *countingKV) calls(op string) int {
	switch op {
	case "Get":
		return int(c.gets.Load())
	case "PutIfAbsent":
		return int(c.putIfAbsents.Load())
	case "CompareAndSwap":
		return int(c.compareAndSwaps.Load())
	}
	panic("countingKV does not count " + op)
}

// countingEffects counts level-up effects and does nothing else.
type countingEffects struct{ levels, announcements atomic.Int64 }

func (c *countingEffects) SetLevel(context.Context, string, int) error {
	c.levels.Add(1)
	return nil
}

func (c *countingEffects) AnnounceLevelUp(context.Context, string, string, int) error {
	c.announcements.Add(1)
	return nil
}

// BenchmarkLikeStorm applies 10,000 likes from 500 users (Zipf-distributed, so that the busiest
// viewers hit the daily cap) in batches of 100, and counts the store calls. It fails when a
// batch writes more user records for credits than it has distinct users.
func BenchmarkLikeStorm(b *testing.B) {
	const total, users, size = 10_000, 500, 100
	zipf := mathrand.NewZipf(mathrand.New(mathrand.NewSource(1)), 1.07, 2, users-1)
	plan := make([]int, total)
	for i := range plan {
		plan[i] = int(zipf.Uint64())
	}
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			kv := &countingKV{KV: be.open(b)}
			fx := &countingEffects{}
			u := newUpdater(b, kv, clock.NewManual(time.Now()), fx, func(c *levels.Config) { c.Now = time.Now })
			round := 0
			var distinctSum, creditWrites, maxRatio float64
			var reads, writes int
			for b.Loop() {
				round++
				base := time.Now().Add(-time.Minute)
				batch := make([]live.Activity, size)
				distinctSum, creditWrites, maxRatio = 0, 0, 0
				r0, w0 := kv.calls("Get"), kv.calls("CompareAndSwap")+kv.calls("PutIfAbsent")
				for start := 0; start < total; start += size {
					seen := map[string]bool{}
					for i := range batch {
						seq := start + i
						user := fmt.Sprintf("r%d-viewer-%d", round, plan[seq])
						seen[user] = true
						batch[i] = live.Activity{ID: fmt.Sprintf("room-%d/%d", round, seq), RoomID: "room-1", UserID: user,
							Kind: live.KindLike, Amount: 1, At: base.Add(time.Duration(seq) * time.Millisecond)}
					}
					before := u.Stats()
					w := kv.calls("CompareAndSwap") + kv.calls("PutIfAbsent")
					mustApply(b, u, batch)
					after := u.Stats()
					credit := (kv.calls("CompareAndSwap") + kv.calls("PutIfAbsent") - w) - int(after.Announced-before.Announced)
					if credit > len(seen) {
						b.Fatalf("a batch of %d users wrote %d records for credits", len(seen), credit)
					}
					distinctSum += float64(len(seen))
					creditWrites += float64(credit)
					maxRatio = max(maxRatio, float64(credit)/float64(len(seen)))
				}
				reads, writes = kv.calls("Get")-r0, kv.calls("CompareAndSwap")+kv.calls("PutIfAbsent")-w0
			}
			batches := float64(total / size)
			b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "likes/s")
			b.ReportMetric(distinctSum/batches, "users/batch")
			b.ReportMetric(creditWrites/batches, "creditwrites/batch")
			b.ReportMetric(maxRatio, "max-creditwrites/user")
			b.ReportMetric(float64(writes)/total, "writes/activity")
			b.ReportMetric(float64(reads)/total, "reads/activity")
			b.ReportMetric(float64(fx.announcements.Load())/float64(b.N), "levelups/storm")
		})
	}
}

// mixedBatch returns n activities of mixed kinds from users, with IDs unique to round.
func mixedBatch(rng *mathrand.Rand, round, n, users int, base time.Time) []live.Activity {
	kinds := []live.ActivityKind{live.KindChat, live.KindChat, live.KindChat, live.KindLike, live.KindLike,
		live.KindGift, live.KindPurchase, live.KindFollow, live.KindCoupon, live.KindChat}
	out := make([]live.Activity, n)
	for i := range out {
		k := kinds[rng.Intn(len(kinds))]
		amount := int64(1)
		if k == live.KindGift {
			amount = int64(1 + rng.Intn(100))
		}
		out[i] = live.Activity{ID: fmt.Sprintf("room-1/%d-%d", round, i), RoomID: "room-1",
			UserID: fmt.Sprintf("viewer-%d", rng.Intn(users)), Kind: k, Amount: amount,
			At: base.Add(time.Duration(i) * time.Millisecond)}
	}
	return out
}

// BenchmarkApply measures batches of 100 mixed activities from 1,000 users, and reports the
// throughput and the 99th percentile of the batch latency.
func BenchmarkApply(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			u := newUpdater(b, be.open(b), clock.NewManual(time.Now()), &countingEffects{}, func(c *levels.Config) { c.Now = time.Now })
			rng := mathrand.New(mathrand.NewSource(2))
			var latencies []time.Duration
			round := 0
			for b.Loop() {
				b.StopTimer()
				round++
				batch := mixedBatch(rng, round, 100, 1000, time.Now().Add(-time.Minute))
				b.StartTimer()
				start := time.Now()
				mustApply(b, u, batch)
				latencies = append(latencies, time.Since(start))
			}
			slices.Sort(latencies)
			p99 := latencies[min(len(latencies)-1, len(latencies)*99/100)]
			b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "activities/s")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms/batch")
		})
	}
}

// BenchmarkApplyLargeBatch applies batches of 10,000 mixed activities from 2,000 users against
// bolt and reports the memory one batch takes.
func BenchmarkApplyLargeBatch(b *testing.B) {
	u := newUpdater(b, openBolt(b), clock.NewManual(time.Now()), &countingEffects{}, func(c *levels.Config) { c.Now = time.Now })
	rng := mathrand.New(mathrand.NewSource(3))
	round := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		round++
		batch := mixedBatch(rng, round, 10_000, 2000, time.Now().Add(-time.Minute))
		b.StartTimer()
		mustApply(b, u, batch)
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "activities/s")
}
