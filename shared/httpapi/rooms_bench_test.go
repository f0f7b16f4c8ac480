package httpapi

import (
	"context"
	"crypto/sha256"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/rooms/roomstest"
)

// BenchmarkPinProduct measures pinning a product end to end against the IM stand-in on loopback
// (an HTTP request through the router, the merchant check, the rooms service and its store, and
// the IM call that sets the field), next to the service alone and to the bare IM call. Each
// reports the median and 99th percentile of its per-operation durations.
func BenchmarkPinProduct(b *testing.B) {
	h := roomstest.New(b, roomstest.Options{})
	ctx := context.Background()
	if _, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "bench", Title: "bench", AnchorID: "anchor"}); err != nil {
		b.Fatal(err)
	}
	if _, err := h.Service.SetStatus(ctx, "bench", live.StatusLive); err != nil {
		b.Fatal(err)
	}
	rt := newTestRouter()
	Rooms{Service: h.Service, Idempotency: Idempotency{Store: h.Memory},
		Merchants: MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte(testMerchantKey))}}}.Register(rt)
	value, _ := (live.Product{ProductID: "sku-1", Name: "抹茶ラテ 200g", Price: "1980", Currency: "JPY"}).FieldValue()

	// Pin a full history first: the cost of a pin must not depend on it.
	for i := range live.MaxProductHistory {
		if _, err := h.Service.PinProduct(ctx, "bench", live.Product{ProductID: "warm-" + strconv.Itoa(i), Name: "warm", Price: "1", Currency: "JPY"}); err != nil {
			b.Fatal(err)
		}
	}

	pin := func(key string) func() error {
		return func() error {
			req := httptest.NewRequest("POST", "/v1/rooms/bench/products", strings.NewReader(productJSON))
			req.Header.Set("Authorization", "Bearer "+testMerchantKey)
			if key != "" {
				req.Header.Set(IdempotencyKeyHeader, key)
			}
			rec := httptest.NewRecorder()
			rt.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("pin: %d %s", rec.Code, rec.Body)
			}
			return nil
		}
	}
	n := 0
	cases := []struct {
		name string
		op   func() error
	}{
		{"http", pin("")},
		{"http_idempotency_key", func() error { n++; return pin("bench-" + strconv.Itoa(n))() }},
		{"service", func() error {
			_, err := h.Service.PinProduct(ctx, "bench", live.Product{ProductID: "sku-1", Name: "抹茶ラテ 200g", Price: "1980", Currency: "JPY"})
			return err
		}},
		{"im_set_group_field", func() error { return h.Client.SetGroupField(ctx, "bench", "ADD_GOODS", value) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var d []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				if err := c.op(); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(start))
			}
			reportPercentiles(b, d)
		})
	}
}

// reportPercentiles reports the median and the 99th percentile of d, in microseconds.
func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) float64 {
		i := int(q * float64(len(d)-1))
		return float64(d[i].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
