package msgbudget_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/uriba-live/uriba/shared/msgbudget"
	"github.com/uriba-live/uriba/shared/store/memstore"
)

func TestTakeCountsEachRoomAndSecondOnceAcrossCallers(t *testing.T) {
	kv := memstore.New(nil)
	ctx := context.Background()
	b := msgbudget.Budget{Counters: kv, Prefix: "rate#"}
	seen := make(map[int64]bool)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			n, err := b.Take(ctx, "r/1", 100)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[n] {
				t.Errorf("count %d handed out twice", n)
			}
			seen[n] = true
		})
	}
	wg.Wait()
	if len(seen) != 20 || !seen[1] || !seen[20] {
		t.Fatalf("counts handed out: %v, want 1 to 20", seen)
	}
	if n, _ := b.Take(ctx, "r2", 100); n != 1 {
		t.Fatalf("another room's first count = %d, want 1", n)
	}
	// The first taker of a later second clears the counters of two to five seconds before.
	if n, _ := b.Take(ctx, "r/1", 103); n != 1 {
		t.Fatalf("a later second's first count = %d, want 1", n)
	}
	for key := range kv.Snapshot() {
		if strings.HasSuffix(key, "#100") && !strings.HasPrefix(key, "rate#r2#") {
			t.Fatalf("the counter of a past second was kept: %v", kv.Snapshot())
		}
	}
	if len(kv.Snapshot()) != 2 {
		t.Fatalf("counters %v, want room r2's second 100 and room r/1's second 103", kv.Snapshot())
	}
}
