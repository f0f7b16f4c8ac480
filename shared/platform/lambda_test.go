package platform_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/uriba-live/uriba/shared/platform"
)

// seen is what a handler observed of the request it served.
type seen struct {
	method, path, rawPath, roomID, host, remoteIP, proto, requestURI string
	query                                                            url.Values
	header                                                           http.Header
	cookies                                                          map[string]string
	body                                                             []byte
	contentLength                                                    int64
}

// observe records r into s.
func observe(t testing.TB, s *seen, r *http.Request) {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("read body: %v", err)
	}
	s.method, s.path, s.rawPath = r.Method, r.URL.Path, r.URL.RawPath
	s.roomID = r.PathValue("roomId")
	s.host, s.proto, s.requestURI = r.Host, r.Proto, r.RequestURI
	if r.RemoteAddr != "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			t.Errorf("RemoteAddr %q is not host:port: %v", r.RemoteAddr, err)
		}
		s.remoteIP = host
	}
	s.query = r.URL.Query()
	s.header = r.Header.Clone()
	s.cookies = map[string]string{}
	for _, c := range r.Cookies() {
		s.cookies[c.Name] = c.Value
	}
	s.body, s.contentLength = body, r.ContentLength
}

// loadEvent reads a platform event from testdata.
func loadEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invoke runs h on event and returns the reply as the platform receives it: JSON.
func invoke(t testing.TB, h platform.EventHandler, event []byte) []byte {
	t.Helper()
	reply, err := h(context.Background(), event)
	if err != nil {
		t.Fatalf("handler: %v", err)
	}
	b, err := json.Marshal(reply)
	if err != nil {
		t.Fatalf("encode reply: %v", err)
	}
	return b
}

// pngBytes returns a small, real PNG image.
func pngBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	img.Set(1, 1, color.NRGBA{R: 0xff, A: 0xff})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// giftHandler serves POST /v1/rooms/{roomId}/gifts, records the request and answers with two
// cookies, a repeated header and a PNG image.
func giftHandler(t testing.TB, s *seen, img []byte) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/rooms/{roomId}/gifts", func(w http.ResponseWriter, r *http.Request) {
		observe(t, s, r)
		http.SetCookie(w, &http.Cookie{Name: "combo", Value: "3", Path: "/", HttpOnly: true})
		http.SetCookie(w, &http.Cookie{Name: "last_gift", Value: "rose", MaxAge: 60})
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Vary", "Origin")
		w.Header().Set("Content-Type", "image/png")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(img)
	})
	return mux
}

func TestLambdaFunctionURLRoundTrip(t *testing.T) {
	var s seen
	img := pngBytes(t)
	h := platform.LambdaHandler(platform.Function{Name: "giftbroadcaster", HTTP: giftHandler(t, &s, img)})

	var reply events.LambdaFunctionURLResponse
	if err := json.Unmarshal(invoke(t, h, loadEvent(t, "lambda-url-request.json")), &reply); err != nil {
		t.Fatal(err)
	}

	// The request, as the handler saw it.
	if s.method != "POST" {
		t.Errorf("method %q, want POST", s.method)
	}
	if s.roomID != "room/7" || s.path != "/v1/rooms/room/7/gifts" || s.rawPath != "/v1/rooms/room%2F7/gifts" {
		t.Errorf("roomId %q, path %q, raw path %q; want room/7 from /v1/rooms/room%%2F7/gifts", s.roomID, s.path, s.rawPath)
	}
	if s.requestURI != "/v1/rooms/room%2F7/gifts?tag=new&tag=sale&q=red%20shoes" {
		t.Errorf("RequestURI %q", s.requestURI)
	}
	if got := s.query["tag"]; !slices.Equal(got, []string{"new", "sale"}) {
		t.Errorf("query tag %q, want both values in order", got)
	}
	if got := s.query.Get("q"); got != "red shoes" {
		t.Errorf("query q %q, want %q", got, "red shoes")
	}
	if got := s.header.Get("X-Gift-Tags"); got != "rose,crown" {
		t.Errorf("X-Gift-Tags %q, want the joined values", got)
	}
	if s.header.Get("Content-Type") != "application/octet-stream" || s.header.Get("Host") != "" {
		t.Errorf("headers %v: want canonical keys and no Host header", s.header)
	}
	if s.cookies["session"] != "abc123" || s.cookies["theme"] != "dark" || len(s.cookies) != 2 {
		t.Errorf("cookies %v, want session and theme", s.cookies)
	}
	wantBody := []byte{0x00, 0x01, 0x02, 'g', 'i', 'f', 't', 0xff, 0xfe}
	if !bytes.Equal(s.body, wantBody) || s.contentLength != int64(len(wantBody)) {
		t.Errorf("body %q (ContentLength %d), want the decoded base64 bytes %q", s.body, s.contentLength, wantBody)
	}
	if s.remoteIP != "203.0.113.7" {
		t.Errorf("remote IP %q, want the sourceIp", s.remoteIP)
	}
	if s.host != "3kvbexample7zq.lambda-url.ap-northeast-1.on.aws" || s.proto != "HTTP/1.1" {
		t.Errorf("host %q proto %q", s.host, s.proto)
	}

	// The reply, as the function URL reads it.
	if reply.StatusCode != http.StatusCreated {
		t.Errorf("status %d, want 201", reply.StatusCode)
	}
	wantCookies := []string{"combo=3; Path=/; HttpOnly", "last_gift=rose; Max-Age=60"}
	if !slices.Equal(reply.Cookies, wantCookies) {
		t.Errorf("cookies %q, want %q", reply.Cookies, wantCookies)
	}
	for k := range reply.Headers {
		if strings.EqualFold(k, "Set-Cookie") {
			t.Errorf("Set-Cookie in headers %v; it belongs in cookies", reply.Headers)
		}
	}
	if got := reply.Headers["Vary"]; got != "Accept, Origin" {
		t.Errorf("Vary %q, want both values joined", got)
	}
	if reply.Headers["Content-Type"] != "image/png" || !reply.IsBase64Encoded {
		t.Fatalf("Content-Type %q base64 %v, want a base64 image/png", reply.Headers["Content-Type"], reply.IsBase64Encoded)
	}
	got, err := base64.StdEncoding.DecodeString(reply.Body)
	if err != nil || !bytes.Equal(got, img) {
		t.Errorf("body decodes to %d bytes (err %v), want the %d PNG bytes", len(got), err, len(img))
	}
	if _, err := png.Decode(bytes.NewReader(got)); err != nil {
		t.Errorf("body is not a PNG: %v", err)
	}
}

func TestHTTPAPIV2RoundTrip(t *testing.T) {
	var s seen
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/rooms", func(w http.ResponseWriter, r *http.Request) {
		observe(t, &s, r)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/v1/rooms/r1")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"roomId":"r1","title":"春のセール"}`)
	})
	h := platform.LambdaHandler(platform.Function{Name: "productpublisher", HTTP: mux})

	var reply events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(invoke(t, h, loadEvent(t, "apigw-v2-request.json")), &reply); err != nil {
		t.Fatal(err)
	}
	if s.method != "POST" || s.path != "/v1/rooms" || len(s.query) != 0 {
		t.Errorf("request %s %s ?%v", s.method, s.path, s.query)
	}
	if got := string(s.body); got != "{\"title\":\"Spring sale\",\"anchorId\":\"anchor-1\"}\n" {
		t.Errorf("body %q", got)
	}
	if s.header.Get("Authorization") != "Bearer merchant-key" || s.header.Get("Idempotency-Key") != "7f0c1e9a" {
		t.Errorf("headers %v", s.header)
	}
	if s.cookies["session"] != "abc123" || s.remoteIP != "198.51.100.23" {
		t.Errorf("cookies %v remote %q", s.cookies, s.remoteIP)
	}
	if s.host != "a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com" {
		t.Errorf("host %q", s.host)
	}
	if reply.StatusCode != 201 || reply.IsBase64Encoded || reply.Body != `{"roomId":"r1","title":"春のセール"}` {
		t.Errorf("reply %d base64=%v body %q, want 201 with the JSON as text", reply.StatusCode, reply.IsBase64Encoded, reply.Body)
	}
	if reply.Headers["Location"] != "/v1/rooms/r1" || len(reply.Cookies) != 0 {
		t.Errorf("headers %v cookies %v", reply.Headers, reply.Cookies)
	}
}

func TestAPIGatewayRESTRoundTrip(t *testing.T) {
	var s seen
	h := platform.LambdaHandler(platform.Function{HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		observe(t, &s, r)
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		_, _ = io.WriteString(w, "hello")
	})})

	var reply events.APIGatewayProxyResponse
	if err := json.Unmarshal(invoke(t, h, loadEvent(t, "apigw-rest-request.json")), &reply); err != nil {
		t.Fatal(err)
	}
	if s.method != "POST" || s.path != "/hello/world" || s.query.Get("name") != "me" {
		t.Errorf("request %s %s ?%v", s.method, s.path, s.query)
	}
	if string(s.body) != "{\r\n\t\"a\": 1\r\n}" || s.remoteIP != "192.168.196.186" {
		t.Errorf("body %q remote %q", s.body, s.remoteIP)
	}
	if s.header.Get("Headername") != "headerValue" || s.host != "gy415nuibc.execute-api.us-east-1.amazonaws.com" {
		t.Errorf("headers %v host %q", s.header, s.host)
	}
	if reply.StatusCode != 200 || reply.Body != "hello" || reply.IsBase64Encoded {
		t.Errorf("reply %+v", reply)
	}
	if got := reply.MultiValueHeaders["Set-Cookie"]; !slices.Equal(got, []string{"a=1", "b=2"}) {
		t.Errorf("multiValueHeaders Set-Cookie %q, want both cookies", got)
	}
	if ct := reply.Headers["Content-Type"]; ct != "text/plain; charset=utf-8" {
		t.Errorf("sniffed Content-Type %q", ct)
	}
}

// urlEvent builds a minimal function URL event.
func urlEvent(t testing.TB, method, rawPath, body string, b64 bool) []byte {
	t.Helper()
	b, err := json.Marshal(events.LambdaFunctionURLRequest{
		Version: "2.0",
		RawPath: rawPath,
		Headers: map[string]string{"host": "example.lambda-url.us-east-1.on.aws"},
		RequestContext: events.LambdaFunctionURLRequestContext{
			DomainName: "fallback.example",
			HTTP:       events.LambdaFunctionURLRequestContextHTTPDescription{Method: method, Path: rawPath, SourceIP: "2001:db8::1"},
		},
		Body:            body,
		IsBase64Encoded: b64,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// urlReply invokes h on a minimal function URL event and decodes the reply.
func urlReply(t *testing.T, h http.Handler, method, body string, b64 bool) events.LambdaFunctionURLResponse {
	t.Helper()
	var reply events.LambdaFunctionURLResponse
	event := urlEvent(t, method, "/x", body, b64)
	if err := json.Unmarshal(invoke(t, platform.LambdaHandler(platform.Function{HTTP: h}), event), &reply); err != nil {
		t.Fatal(err)
	}
	return reply
}

func TestRequestBodyLimit(t *testing.T) {
	called := false
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true })
	limit := 6 << 20

	cases := []struct {
		name string
		body string
		b64  bool
		want int
	}{
		{"text at the limit", strings.Repeat("a", limit), false, 200},
		{"text over the limit", strings.Repeat("a", limit+1), false, 413},
		{"base64 at the limit", base64.StdEncoding.EncodeToString(make([]byte, limit)), true, 200},
		{"base64 over the limit", base64.StdEncoding.EncodeToString(make([]byte, limit+1)), true, 413},
		{"invalid base64", "not base64!", true, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			called = false
			reply := urlReply(t, h, "POST", c.body, c.b64)
			if reply.StatusCode != c.want {
				t.Fatalf("status %d, want %d", reply.StatusCode, c.want)
			}
			if c.want != 200 {
				if called {
					t.Error("the handler ran for a refused request")
				}
				if reply.Headers["Content-Type"] != "application/problem+json" || !strings.Contains(reply.Body, `"status":`) {
					t.Errorf("refusal %v %q, want a problem document", reply.Headers, reply.Body)
				}
			}
		})
	}
}

func TestReplyEncoding(t *testing.T) {
	img := pngBytes(t)
	cases := []struct {
		name        string
		method      string
		handler     http.HandlerFunc
		status      int
		contentType string
		body        []byte
		base64      bool
	}{
		{
			name: "JSON stays text",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/problem+json")
				_, _ = io.WriteString(w, `{"code":"not_found"}`)
			},
			status: 200, contentType: "application/problem+json", body: []byte(`{"code":"not_found"}`),
		},
		{
			name: "invalid UTF-8 text is base64",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = w.Write([]byte{'o', 'k', 0xff})
			},
			status: 200, contentType: "text/plain", body: []byte{'o', 'k', 0xff}, base64: true,
		},
		{
			name: "gzip text is base64",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				_, _ = w.Write([]byte("{}"))
			},
			status: 200, contentType: "application/json", body: []byte("{}"), base64: true,
		},
		{
			name: "missing Content-Type is sniffed: PNG",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(img)
			},
			status: 200, contentType: "image/png", body: img, base64: true,
		},
		{
			name: "missing Content-Type is sniffed: HTML",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "<!DOCTYPE html><p>hi</p>")
			},
			status: 200, contentType: "text/html; charset=utf-8", body: []byte("<!DOCTYPE html><p>hi</p>"),
		},
		{
			name: "headers changed after WriteHeader are ignored",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusAccepted)
				w.Header().Set("Content-Type", "image/png")
				w.Header().Set("X-Late", "1")
				_, _ = io.WriteString(w, "queued")
			},
			status: 202, contentType: "text/plain", body: []byte("queued"),
		},
		{
			name:   "HEAD has headers and no body",
			method: "HEAD",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, "not sent")
			},
			status: 200, contentType: "text/plain",
		},
		{
			name: "204 refuses a body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
				if _, err := io.WriteString(w, "x"); err != http.ErrBodyNotAllowed {
					t.Errorf("write after 204: %v, want ErrBodyNotAllowed", err)
				}
			},
			status: 204,
		},
		{
			name:    "no write at all is 200 with an empty body",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			status:  200,
		},
		{
			name: "informational status is skipped",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusTeapot)
			},
			status: 418,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := c.method
			if method == "" {
				method = "GET"
			}
			reply := urlReply(t, c.handler, method, "", false)
			if reply.StatusCode != c.status {
				t.Errorf("status %d, want %d", reply.StatusCode, c.status)
			}
			if reply.Headers["Content-Type"] != c.contentType {
				t.Errorf("Content-Type %q, want %q", reply.Headers["Content-Type"], c.contentType)
			}
			if _, ok := reply.Headers["X-Late"]; ok {
				t.Error("a header set after WriteHeader reached the reply")
			}
			if reply.IsBase64Encoded != c.base64 {
				t.Errorf("isBase64Encoded %v, want %v", reply.IsBase64Encoded, c.base64)
			}
			body := []byte(reply.Body)
			if reply.IsBase64Encoded {
				var err error
				if body, err = base64.StdEncoding.DecodeString(reply.Body); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, c.body) {
				t.Errorf("body %q, want %q", body, c.body)
			}
		})
	}
}

func TestRequestDetails(t *testing.T) {
	var s seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { observe(t, &s, r) })
	invoke(t, platform.LambdaHandler(platform.Function{HTTP: h}), urlEvent(t, "GET", "/a%20b", "", false))
	if s.remoteIP != "2001:db8::1" {
		t.Errorf("IPv6 remote %q", s.remoteIP)
	}
	if s.path != "/a b" || s.host != "example.lambda-url.us-east-1.on.aws" {
		t.Errorf("path %q host %q", s.path, s.host)
	}
	if s.contentLength != 0 || len(s.body) != 0 {
		t.Errorf("empty body: ContentLength %d body %q", s.contentLength, s.body)
	}

	// Without a host header, the host is the domain name.
	var ev map[string]any
	_ = json.Unmarshal(urlEvent(t, "GET", "/", "", false), &ev)
	delete(ev, "headers")
	b, _ := json.Marshal(ev)
	invoke(t, platform.LambdaHandler(platform.Function{HTTP: h}), b)
	if s.host != "fallback.example" {
		t.Errorf("host %q, want the domainName", s.host)
	}
}
