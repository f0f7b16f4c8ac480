package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/function/productpublisher"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/standin"
)

const merchantKey = functiontest.MerchantKey

// testEnv starts the IM stand-in on loopback and returns the function's environment pointed at it
// and at a bolt store in a temporary directory.
func testEnv(t *testing.T) (map[string]string, *standin.IM) {
	t.Helper()
	env := functiontest.New(t)
	return env.Vars, env.IM
}

func newTestFunction(t *testing.T, env map[string]string) platform.Function {
	t.Helper()
	fn, release, err := functiontest.Try(productpublisher.Definition, func(k string) string { return env[k] }, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return fn
}

func call(t *testing.T, h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+merchantKey)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRoomLifecycleThroughTheFunction(t *testing.T) {
	env, im := testEnv(t)
	env["ROOM_FIELD_PRODUCT"] = "CUR_GOODS"
	fn := newTestFunction(t, env)
	steps := []struct {
		method, target, body string
		status               int
	}{
		{"POST", "/v1/rooms", `{"roomId":"spring-sale","title":"Spring sale","anchorId":"anchor_1"}`, 201},
		{"PUT", "/v1/rooms/spring-sale/status", `{"status":"live"}`, 200},
		{"POST", "/v1/rooms/spring-sale/products", `{"productId":"sku-1","name":"Matcha","price":"1980","currency":"JPY"}`, 200},
		{"PUT", "/v1/rooms/spring-sale/notice", `{"notice":"Free shipping today"}`, 200},
		{"GET", "/v1/rooms/spring-sale", "", 200},
		{"GET", "/v1/rooms?status=live", "", 200},
		{"GET", "/v1/rooms/spring-sale/summary", "", 200},
		{"PUT", "/v1/rooms/spring-sale/status", `{"status":"created"}`, 409},
		{"GET", "/openapi.json", "", 200},
	}
	for _, s := range steps {
		if rec := call(t, fn.HTTP, s.method, s.target, s.body); rec.Code != s.status {
			t.Fatalf("%s %s: %d %s", s.method, s.target, rec.Code, rec.Body)
		}
	}
	g, ok := im.Group("spring-sale")
	if !ok || g.Fields["room_status"] != "live" || !strings.Contains(g.Fields["CUR_GOODS"], `"sku-1"`) || g.Notification != "Free shipping today" {
		t.Fatalf("group %+v", g)
	}
	// Idempotency-Key is honoured: the repeat is answered from the store.
	for i := 0; i < 2; i++ {
		req := httptest.NewRequest("POST", "/v1/rooms", strings.NewReader(`{"title":"Another","anchorId":"anchor_1"}`))
		req.Header.Set("Authorization", "Bearer "+merchantKey)
		req.Header.Set("Idempotency-Key", "create-another")
		rec := httptest.NewRecorder()
		fn.HTTP.ServeHTTP(rec, req)
		if rec.Code != 201 || (i == 1) != (rec.Header().Get("Idempotent-Replayed") == "true") {
			t.Fatalf("attempt %d: %d %s", i, rec.Code, rec.Header())
		}
	}
}

func TestTheFunctionsRoutesAreDocumented(t *testing.T) {
	env, _ := testEnv(t)
	fn := newTestFunction(t, env)
	rt, ok := fn.HTTP.(*httpapi.Router)
	if !ok {
		t.Fatalf("the handler is a %T", fn.HTTP)
	}
	if missing, _ := httpapi.UndocumentedRoutes(httpapi.OpenAPIDocument(), rt.Routes()); len(missing) > 0 {
		t.Fatalf("routes missing from the OpenAPI document: %q", missing)
	}
}

func TestConfigurationProblemsAreReportedTogether(t *testing.T) {
	_, _, err := functiontest.Try(productpublisher.Definition, func(k string) string {
		return map[string]string{"ROOM_FIELD_STATUS": "1status", "IM_SECRET_KEY": "s3cr3t-value"}[k]
	}, true)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"IM_SDKAPPID", "STORE", "MERCHANT_KEY_SHA256", "ROOM_FIELD_STATUS"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not name %s:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "s3cr3t-value") {
		t.Error("the error shows the secret key")
	}
}

// TestRoomsThroughBothCloudAdapters creates a room from an API Gateway HTTP API event, as Lambda
// receives it, and pins a product from a Tencent API gateway event, as SCF receives it.
func TestRoomsThroughBothCloudAdapters(t *testing.T) {
	env, im := testEnv(t)
	fn := newTestFunction(t, env)
	event := func(name string) json.RawMessage {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.ReplaceAll(b, []byte("{{MERCHANT_KEY}}"), []byte(merchantKey))
	}
	reply := func(h platform.EventHandler, e json.RawMessage) (int, string) {
		r := functiontest.Invoke(t, h, e)
		return r.StatusCode, r.Body
	}

	if status, body := reply(platform.LambdaHandler(fn), event("create-room-apigw-v2.json")); status != 201 {
		t.Fatalf("create through Lambda: %d %s", status, body)
	}
	if status, body := reply(platform.SCFHandler(fn), event("pin-product-scf-apigw.json")); status != 200 {
		t.Fatalf("pin through SCF: %d %s", status, body)
	}
	g, ok := im.Group("cloud-room")
	if !ok || g.Fields["room_status"] != "created" || !strings.Contains(g.Fields["ADD_GOODS"], `"tea-3"`) {
		t.Fatalf("group %+v", g)
	}
	// The Lambda event carried an Idempotency-Key: delivering it again changes nothing.
	if status, body := reply(platform.LambdaHandler(fn), event("create-room-apigw-v2.json")); status != 201 {
		t.Fatalf("replayed create: %d %s", status, body)
	}
}
