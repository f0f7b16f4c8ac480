package httpapi

import (
	"crypto/sha256"
	"errors"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store/memstore"
)

var _ IdempotencyStore = (*memstore.Store)(nil)

func TestIdempotentCreateReplaysTheFirstAnswer(t *testing.T) {
	a := newRoomsAPI(t)
	body := `{"title":"Spring sale","anchorId":"anchor_1"}` // no roomId: each run would make a new room
	first := a.do("POST", "/v1/rooms", body, "Idempotency-Key", "create-1")
	if first.Code != 201 || first.Header().Get(ReplayedHeader) != "" {
		t.Fatalf("first: %d %s", first.Code, first.Header())
	}
	a.Counter.Reset()
	second := a.do("POST", "/v1/rooms", body, "Idempotency-Key", "create-1")
	if second.Code != 201 || second.Body.String() != first.Body.String() ||
		second.Header().Get("Location") != first.Header().Get("Location") ||
		second.Header().Get("Content-Type") != "application/json" || second.Header().Get(ReplayedHeader) != "true" {
		t.Fatalf("replay: %d %s %s\nfirst: %s", second.Code, second.Header(), second.Body, first.Body)
	}
	if calls := a.Counter.Calls(); len(calls) != 0 {
		t.Fatalf("the replay called IM: %q", calls)
	}
	if rs := a.must(t, 200, "GET", "/v1/rooms", "")["rooms"].([]any); len(rs) != 1 {
		t.Fatalf("%d rooms", len(rs))
	}

	// The same key with another body is refused and changes nothing.
	before := a.Memory.Snapshot()
	rec := a.do("POST", "/v1/rooms", `{"title":"Summer sale","anchorId":"anchor_1"}`, "Idempotency-Key", "create-1")
	if p := decodeProblem(t, rec); rec.Code != 422 || p.Code != live.EIdempotencyReuse {
		t.Fatalf("reuse: %d %+v", rec.Code, p)
	}
	if after := a.Memory.Snapshot(); !maps.Equal(before, after) {
		t.Fatal("a refused reuse changed the store")
	}

	// Keys belong to their caller and their route.
	other := "mk_other"
	a.rt = newTestRouter()
	Rooms{Service: a.Service, Idempotency: Idempotency{Store: a.Memory},
		Merchants: MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte(testMerchantKey)), sha256.Sum256([]byte(other))}}}.Register(a.rt)
	if rec := a.do("POST", "/v1/rooms", body, "Idempotency-Key", "create-1", "Authorization", "Bearer "+other); rec.Code != 201 || rec.Header().Get(ReplayedHeader) != "" {
		t.Fatalf("another merchant's key: %d %s", rec.Code, rec.Header())
	}
	for k := range a.Memory.Snapshot() {
		if strings.Contains(k, "create-1") || strings.Contains(k, other) || strings.Contains(k, testMerchantKey) {
			t.Fatalf("a record key shows its inputs: %s", k)
		}
	}
}

func TestIdempotentPinReplaysRefusals(t *testing.T) {
	a := newRoomsAPI(t)
	a.must(t, 201, "POST", "/v1/rooms", `{"roomId":"r1","title":"t","anchorId":"a"}`)
	bad := strings.Replace(productJSON, `"JPY"`, `"yen"`, 1)
	first := a.do("POST", "/v1/rooms/r1/products", bad, "Idempotency-Key", "pin-1")
	second := a.do("POST", "/v1/rooms/r1/products", bad, "Idempotency-Key", "pin-1")
	if first.Code != 400 || second.Code != 400 || second.Body.String() != first.Body.String() ||
		second.Header().Get("Content-Type") != "application/problem+json" || second.Header().Get(ReplayedHeader) != "true" {
		t.Fatalf("refusal replay: %d %d %s %s", first.Code, second.Code, second.Header(), second.Body)
	}
	a.Counter.Reset()
	if rec := a.do("POST", "/v1/rooms/r1/products", productJSON, "Idempotency-Key", "pin-2"); rec.Code != 200 {
		t.Fatalf("pin: %d %s", rec.Code, rec.Body)
	}
	if rec := a.do("POST", "/v1/rooms/r1/products", productJSON, "Idempotency-Key", "pin-2"); rec.Code != 200 || rec.Header().Get(ReplayedHeader) != "true" {
		t.Fatalf("pin replay: %d %s", rec.Code, rec.Header())
	}
	if calls := a.Counter.Calls(); len(calls) != 1 {
		t.Fatalf("IM calls %q, want one", calls)
	}
}

// idempotentServer wraps handler in the middleware behind a merchant key.
func idempotentServer(t *testing.T, idem Idempotency, handler HandlerFunc) (*Router, *memstore.Store) {
	t.Helper()
	kv := memstore.New(nil)
	if idem.Store == nil {
		idem.Store = kv
	}
	keys := MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte(testMerchantKey))}}
	rt := newTestRouter()
	rt.Handle("POST /v1/things", keys.Require(idem.Wrap(handler)))
	return rt, kv
}

func post(rt *Router, key, body string) (int, string, http.Header) {
	h := map[string]string{"Authorization": "Bearer " + testMerchantKey}
	if key != "" {
		h[IdempotencyKeyHeader] = key
	}
	rec := serve(rt, "POST", "/v1/things", body, h)
	return rec.Code, rec.Body.String(), rec.Header()
}

func TestConcurrentFirstRequestsRunOnce(t *testing.T) {
	var runs atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	rt, _ := idempotentServer(t, Idempotency{}, func(w http.ResponseWriter, r *http.Request) error {
		if runs.Add(1) == 1 {
			close(started)
			<-release
		}
		return WriteJSON(w, 201, map[string]string{"id": "thing-1"})
	})
	var wg sync.WaitGroup
	var firstCode int
	wg.Add(1)
	go func() {
		defer wg.Done()
		firstCode, _, _ = post(rt, "k1", `{"n":1}`)
	}()
	<-started
	rec := serve(rt, "POST", "/v1/things", `{"n":1}`, map[string]string{"Authorization": "Bearer " + testMerchantKey, IdempotencyKeyHeader: "k1"})
	if p := decodeProblem(t, rec); rec.Code != 409 || p.Code != live.EConflict || !strings.Contains(p.Detail, "in progress") {
		t.Fatalf("second while the first runs: %d %+v", rec.Code, p)
	}
	// A different body while the first runs is a reuse, not a wait.
	if code, _, _ := post(rt, "k1", `{"n":2}`); code != 422 {
		t.Fatalf("other body while running: %d", code)
	}
	close(release)
	wg.Wait()
	if code, body, h := post(rt, "k1", `{"n":1}`); firstCode != 201 || code != 201 || h.Get(ReplayedHeader) != "true" || !strings.Contains(body, "thing-1") {
		t.Fatalf("first %d, replay %d %s", firstCode, code, body)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("the handler ran %d times", n)
	}

	// Many at once: exactly one runs.
	runs.Store(1) // no blocking from here on
	var codes sync.Map
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, h := post(rt, "k2", `{"n":1}`)
			codes.Store(i, [2]any{code, h.Get(ReplayedHeader)})
		}()
	}
	wg.Wait()
	ran := 0
	codes.Range(func(_, v any) bool {
		c := v.([2]any)
		switch {
		case c[0] == 201 && c[1] == "":
			ran++
		case c[0] == 201 && c[1] == "true", c[0] == 409:
		default:
			t.Errorf("answer %v", c)
		}
		return true
	})
	if ran != 1 || runs.Load() != 2 {
		t.Fatalf("%d first answers, handler ran %d times", ran, runs.Load()-1)
	}
}

func TestRetryableAnswersAreNotStored(t *testing.T) {
	for _, c := range []struct {
		name string
		fail error
	}{
		{"internal error", errors.New("dial tcp: refused")},
		{"IM unavailable", live.Errorf("im_unavailable", "IM is unreachable.")},
		{"conflict", live.Errorf(live.EConflict, "Another change is in progress.")},
	} {
		t.Run(c.name, func(t *testing.T) {
			var runs atomic.Int32
			rt, kv := idempotentServer(t, Idempotency{}, func(w http.ResponseWriter, r *http.Request) error {
				if runs.Add(1) == 1 {
					return c.fail
				}
				return WriteJSON(w, 200, "done")
			})
			if code, _, _ := post(rt, "k", `{}`); code < 409 {
				t.Fatalf("first: %d", code)
			}
			if snap := kv.Snapshot(); len(snap) != 0 {
				t.Fatalf("kept %v", snap)
			}
			if code, body, h := post(rt, "k", `{}`); code != 200 || h.Get(ReplayedHeader) != "" || !strings.Contains(body, "done") {
				t.Fatalf("retry: %d %s", code, body)
			}
			if code, _, h := post(rt, "k", `{}`); code != 200 || h.Get(ReplayedHeader) != "true" || runs.Load() != 2 {
				t.Fatalf("replay: %d, %d runs", code, runs.Load())
			}
		})
	}
}

func TestIdempotencyRecordsExpire(t *testing.T) {
	var runs atomic.Int32
	c := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
	idem := Idempotency{Store: memstore.New(c.Now), TTL: time.Hour}
	rt, _ := idempotentServer(t, idem, func(w http.ResponseWriter, r *http.Request) error {
		runs.Add(1)
		return WriteJSON(w, 200, "ok")
	})
	post(rt, "k", `{}`)
	c.Advance(time.Hour - time.Second)
	if code, _, h := post(rt, "k", `{}`); code != 200 || h.Get(ReplayedHeader) != "true" || runs.Load() != 1 {
		t.Fatalf("before the TTL: %d %s, %d runs", code, h, runs.Load())
	}
	c.Advance(time.Second)
	if code, _, h := post(rt, "k", `{}`); code != 200 || h.Get(ReplayedHeader) != "" || runs.Load() != 2 {
		t.Fatalf("after the TTL: %d %s, %d runs", code, h, runs.Load())
	}
}

func TestIdempotencyKeyRules(t *testing.T) {
	var runs atomic.Int32
	rt, kv := idempotentServer(t, Idempotency{}, func(w http.ResponseWriter, r *http.Request) error {
		runs.Add(1)
		return WriteJSON(w, 200, "ok")
	})
	for _, key := range []string{strings.Repeat("k", 256), "tab\tkey", "ключ"} {
		if code, _, _ := post(rt, key, `{}`); code != 400 {
			t.Errorf("key %q: %d", key, code)
		}
	}
	if code, _, _ := post(rt, strings.Repeat("k", 255), `{}`); code != 200 {
		t.Errorf("255-byte key: %d", code)
	}
	// Without a key every request runs.
	post(rt, "", `{}`)
	post(rt, "", `{}`)
	if runs.Load() != 3 || len(kv.Snapshot()) != 1 {
		t.Fatalf("%d runs, %d records", runs.Load(), len(kv.Snapshot()))
	}
	rec := serve(rt, "POST", "/v1/things", `{}`, map[string]string{"Authorization": "Bearer " + testMerchantKey})
	if rec.Code != 200 {
		t.Fatal(rec.Code)
	}
}
