package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/function/giftbroadcaster"
	"github.com/uriba-live/uriba/shared/function/productpublisher"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

// setUp builds giftbroadcaster and productpublisher over one store against the stand-in, makes
// the room cloud-room live with a gift rose (30 coins) and gives viewer_1 100 coins.
func setUp(t *testing.T) (gifts, rooms platform.Function, env *functiontest.Env, sig string) {
	t.Helper()
	env = functiontest.New(t)
	deps := function.Deps{Logger: slog.New(slog.DiscardHandler), Store: memstore.New(nil)}
	build := func(def function.Definition) platform.Function {
		l := config.NewLoader(env.Getenv)
		l.Local = true
		fn, release, err := def.Build(context.Background(), l, deps)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(release)
		return fn
	}
	gifts, rooms = build(giftbroadcaster.Definition), build(productpublisher.Definition)
	client := env.Client(t)
	for _, u := range []string{"viewer_1", "anchor_9"} {
		if err := client.AccountImport(context.Background(), tim.AccountImportRequest{UserID: u}); err != nil {
			t.Fatal(err)
		}
	}
	sig, _, err := tim.GenUserSig(functiontest.AppID, functiontest.SecretKey, "viewer_1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		fn                   platform.Function
		method, target, body string
		key                  string
	}{
		{rooms, "POST", "/v1/rooms", `{"roomId":"cloud-room","title":"Cloud sale","anchorId":"anchor_9"}`, ""},
		{rooms, "PUT", "/v1/rooms/cloud-room/status", `{"status":"live"}`, ""},
		{gifts, "POST", "/v1/gifts", `{"giftId":"rose","name":"Rose","price":30}`, ""},
		{gifts, "POST", "/v1/users/viewer_1/coins", `{"amount":100}`, "top-up-1"},
	} {
		req := httptest.NewRequest(s.method, s.target, strings.NewReader(s.body))
		req.Header.Set("Authorization", "Bearer "+functiontest.MerchantKey)
		if s.key != "" {
			req.Header.Set("Idempotency-Key", s.key)
		}
		rec := httptest.NewRecorder()
		s.fn.HTTP.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", s.method, s.target, rec.Code, rec.Body)
		}
	}
	return gifts, rooms, env, sig
}

func TestGiftsThroughTheFunction(t *testing.T) {
	fn, rooms, env, sig := setUp(t)
	send := func(key, body, sig string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/rooms/cloud-room/gifts", strings.NewReader(body))
		req.Header.Set("Authorization", "UserSig "+sig)
		req.Header.Set("X-User-Id", "viewer_1")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		rec := httptest.NewRecorder()
		fn.HTTP.ServeHTTP(rec, req)
		return rec
	}
	cases := []struct {
		key, body, sig string
		status         int
	}{
		{"g1", `{"giftId":"rose","count":2}`, sig, 200},
		{"g1", `{"giftId":"rose","count":2}`, sig, 200}, // replay
		{"g1", `{"giftId":"rose","count":1}`, sig, 422},
		{"", `{"giftId":"rose","count":1}`, sig, 400},
		{"g2", `{"giftId":"rose","count":0}`, sig, 400},
		{"g3", `{"giftId":"rose","count":5000}`, sig, 400},
		{"g4", `{"giftId":"tulip","count":1}`, sig, 404},
		{"g5", `{"giftId":"rose","count":2}`, sig, 402},
		{"g6", `{"giftId":"rose","count":1}`, "forged", 401},
	}
	for _, c := range cases {
		if rec := send(c.key, c.body, c.sig); rec.Code != c.status {
			t.Fatalf("%s %s: %d %s", c.key, c.body, rec.Code, rec.Body)
		}
	}
	req := httptest.NewRequest("GET", "/v1/users/viewer_1/coins", nil)
	req.Header.Set("Authorization", "Bearer "+functiontest.MerchantKey)
	rec := httptest.NewRecorder()
	fn.HTTP.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `"balance":40`) {
		t.Fatalf("balance: %s", rec.Body)
	}
	req = httptest.NewRequest("GET", "/v1/rooms/cloud-room/summary", nil)
	req.Header.Set("Authorization", "Bearer "+functiontest.MerchantKey)
	rec = httptest.NewRecorder()
	rooms.HTTP.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `"gifts":2,"coins":60`) || !strings.Contains(rec.Body.String(), `"userId":"viewer_1"`) {
		t.Fatalf("summary: %s", rec.Body)
	}
	shown := 0
	for _, m := range env.IM.Messages("cloud-room") {
		if m.From == "viewer_1" && m.Priority == tim.PriorityHigh && strings.Contains(string(m.Body[0].MsgContent), "SEND_GIFT") {
			shown++
		}
	}
	if shown != 1 {
		t.Fatalf("%d SEND_GIFT from viewer_1, want 1", shown)
	}
}

func TestTheFunctionsRoutesAreDocumented(t *testing.T) {
	fn, _, _, _ := setUp(t)
	rt := fn.HTTP.(*httpapi.Router)
	if missing, _ := httpapi.UndocumentedRoutes(httpapi.OpenAPIDocument(), rt.Routes()); len(missing) > 0 {
		t.Fatalf("routes missing from the OpenAPI document: %q", missing)
	}
}

// TestGiftsThroughBothCloudAdapters sends a gift from a Lambda function URL event and reports a
// purchase from a Tencent API gateway event.
func TestGiftsThroughBothCloudAdapters(t *testing.T) {
	fn, _, env, sig := setUp(t)
	event := func(name string) json.RawMessage {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte("{{MERCHANT_KEY}}"), []byte(functiontest.MerchantKey))
		return bytes.ReplaceAll(b, []byte("{{USERSIG}}"), []byte(sig))
	}
	reply := func(h platform.EventHandler, e json.RawMessage) (int, string) {
		r := functiontest.Invoke(t, h, e)
		return r.StatusCode, r.Body
	}
	for range 2 { // the second delivery is a replay
		if status, body := reply(platform.LambdaHandler(fn), event("send-gift-lambda-url.json")); status != http.StatusOK || !strings.Contains(body, `"balance":40`) {
			t.Fatalf("gift through Lambda: %d %s", status, body)
		}
		if status, body := reply(platform.SCFHandler(fn), event("purchase-scf-apigw.json")); status != http.StatusOK {
			t.Fatalf("purchase through SCF: %d %s", status, body)
		}
	}
	buys := 0
	for _, m := range env.IM.Messages("cloud-room") {
		if m.From == "buyer_1" && strings.Contains(string(m.Body[0].MsgContent), "BUY_GOODS") {
			buys++
			if strings.Contains(string(m.Body[0].MsgContent), "24") {
				t.Errorf("BUY_GOODS shows the amount: %s", m.Body[0].MsgContent)
			}
		}
	}
	if buys != 1 {
		t.Fatalf("%d BUY_GOODS, want 1", buys)
	}
}
