package redis

import (
	"context"
	"crypto/rand"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/storetest"
)

// newStore returns a store in a namespace of its own on the test server, and removes the
// namespace's keys when the test ends.
func newStore(t testing.TB) *Store {
	addr := storetest.Integration(t, "URIBA_TEST_REDIS_ADDR")
	client := goredis.NewClient(&goredis.Options{Addr: addr})
	ns := "test:" + rand.Text()[:12] + ":"
	s := New(client, ns)
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, ns+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		s.Close()
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Integration(t, "URIBA_TEST_REDIS_ADDR") // once, rather than in every subtest
	storetest.Run(t, func(t *testing.T) store.KV { return newStore(t) })
}

func BenchmarkAdd(b *testing.B) {
	storetest.BenchmarkAdd(b, newStore(b))
}
