package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/uriba-live/uriba/shared/platform"
)

// trivial is a handler that answers with a small JSON document.
var trivial = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true,"roomId":"r1"}`)
})

// BenchmarkLambdaFunctionURL measures a function URL event through the adapter to trivial and
// back to the encoded reply, as the Lambda runtime receives it.
func BenchmarkLambdaFunctionURL(b *testing.B) {
	event := loadEvent(b, "lambda-url-request.json")
	h := platform.LambdaHandler(platform.Function{Name: "bench", HTTP: trivial})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		reply, err := h(ctx, event)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(reply); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDirectHandler measures trivial called directly with the same request through
// httptest, for comparison with BenchmarkLambdaFunctionURL.
func BenchmarkDirectHandler(b *testing.B) {
	body := []byte{0x00, 0x01, 0x02, 'g', 'i', 'f', 't', 0xff, 0xfe}
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v1/rooms/room%2F7/gifts?tag=new&tag=sale&q=red%20shoes", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/octet-stream")
		r.Header.Set("Cookie", "session=abc123; theme=dark")
		w := httptest.NewRecorder()
		trivial.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
