package platform_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	scfevents "github.com/tencentyun/scf-go-lib/events"

	"github.com/uriba-live/uriba/shared/platform"
)

// scfReply is Tencent's integration response with each header kept raw, to tell strings from
// arrays.
type scfReply struct {
	IsBase64Encoded bool                       `json:"isBase64Encoded"`
	StatusCode      int                        `json:"statusCode"`
	Headers         map[string]json.RawMessage `json:"headers"`
	Body            string                     `json:"body"`
}

func (r scfReply) header(t *testing.T, k string) string {
	t.Helper()
	var s string
	if raw, ok := r.Headers[k]; ok {
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Errorf("header %s is %s, want a string", k, raw)
		}
	}
	return s
}

func TestSCFAPIGatewayRoundTrip(t *testing.T) {
	var s seen
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/rooms/{roomId}/notice", func(w http.ResponseWriter, r *http.Request) {
		observe(t, &s, r)
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.Header().Add("Cache-Control", "no-store")
		w.Header().Add("Cache-Control", "private")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `{"notice":"今晚八点开播"}`)
	})
	h := platform.SCFHandler(platform.Function{Name: "productpublisher", HTTP: mux})

	var reply scfReply
	if err := json.Unmarshal(invoke(t, h, loadEvent(t, "scf-apigw-request.json")), &reply); err != nil {
		t.Fatal(err)
	}
	if s.method != "PUT" || s.roomID != "r1" || s.query.Get("lang") != "zh" || s.requestURI != "/v1/rooms/r1/notice?lang=zh" {
		t.Errorf("request %s %s room %q query %v", s.method, s.requestURI, s.roomID, s.query)
	}
	if string(s.body) != `{"notice":"今晚八点开播"}` || s.contentLength != int64(len(s.body)) {
		t.Errorf("body %q (ContentLength %d)", s.body, s.contentLength)
	}
	if s.header.Get("Authorization") != "Bearer merchant-key" || s.header.Get("X-Qualifier") != "$LATEST" {
		t.Errorf("headers %v", s.header)
	}
	if s.remoteIP != "10.0.2.14" || s.host != "service-3ei3tii4-251000691.ap-guangzhou.apigateway.myqloud.com" {
		t.Errorf("remote %q host %q", s.remoteIP, s.host)
	}

	if reply.StatusCode != 200 || reply.IsBase64Encoded || reply.Body != `{"notice":"今晚八点开播"}` {
		t.Errorf("reply %d base64=%v body %q", reply.StatusCode, reply.IsBase64Encoded, reply.Body)
	}
	if got := reply.header(t, "Cache-Control"); got != "no-store, private" {
		t.Errorf("Cache-Control %q, want both values joined", got)
	}
	var cookies []string
	if err := json.Unmarshal(reply.Headers["Set-Cookie"], &cookies); err != nil || !slices.Equal(cookies, []string{"a=1", "b=2"}) {
		t.Errorf("Set-Cookie %s, want an array of both cookies", reply.Headers["Set-Cookie"])
	}
}

func TestSCFReplyMatchesTencentShape(t *testing.T) {
	h := platform.SCFHandler(platform.Function{HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "only", Value: "one"})
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "no such room")
	})})
	// With one cookie, the reply decodes into scf-go-lib's own response type.
	var reply scfevents.APIGatewayResponse
	if err := json.Unmarshal(invoke(t, h, loadEvent(t, "scf-url-request.json")), &reply); err != nil {
		t.Fatal(err)
	}
	want := scfevents.APIGatewayResponse{
		StatusCode: 404,
		Headers:    map[string]string{"Set-Cookie": "only=one", "Content-Type": "text/plain; charset=utf-8"},
		Body:       "no such room",
	}
	if reply.StatusCode != want.StatusCode || reply.Body != want.Body || reply.IsBase64Encoded ||
		len(reply.Headers) != 2 || reply.Headers["Set-Cookie"] != "only=one" || reply.Headers["Content-Type"] != want.Headers["Content-Type"] {
		t.Errorf("reply %+v, want %+v", reply, want)
	}
}

func TestSCFArrayQueryAndBinaryReply(t *testing.T) {
	var s seen
	img := pngBytes(t)
	h := platform.SCFHandler(platform.Function{HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		observe(t, &s, r)
		if r.Body != http.NoBody {
			t.Errorf("an empty body should be http.NoBody, got %T", r.Body)
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(img)
	})})

	var reply scfReply
	if err := json.Unmarshal(invoke(t, h, loadEvent(t, "scf-apigw-array-query.json")), &reply); err != nil {
		t.Fatal(err)
	}
	if s.method != "GET" || s.path != "/v1/gifts" {
		t.Errorf("request %s %s", s.method, s.path)
	}
	if got := s.query["tag"]; !slices.Equal(got, []string{"new", "sale"}) {
		t.Errorf("tag %q, want both values in order", got)
	}
	if got, ok := s.query["all"]; !ok || !slices.Equal(got, []string{""}) {
		t.Errorf("all %q (present %v), want a parameter without a value", got, ok)
	}
	if s.query.Get("q") != "red shoes" {
		t.Errorf("q %q", s.query.Get("q"))
	}
	if s.cookies["session"] != "abc123" || s.cookies["theme"] != "dark" {
		t.Errorf("cookies %v", s.cookies)
	}
	if s.remoteIP != "8.8.8.8" {
		t.Errorf("remote %q", s.remoteIP)
	}
	if !reply.IsBase64Encoded || reply.header(t, "Content-Type") != "image/png" {
		t.Fatalf("base64 %v Content-Type %q, want a base64 PNG", reply.IsBase64Encoded, reply.header(t, "Content-Type"))
	}
	if got, err := base64.StdEncoding.DecodeString(reply.Body); err != nil || !bytes.Equal(got, img) {
		t.Errorf("body decodes to %d bytes (err %v), want the PNG", len(got), err)
	}
}

func TestSCFFunctionURLWithoutRequestContext(t *testing.T) {
	var s seen
	h := platform.SCFHandler(platform.Function{HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		observe(t, &s, r)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
	})})
	var reply scfReply
	if err := json.Unmarshal(invoke(t, h, loadEvent(t, "scf-url-request.json")), &reply); err != nil {
		t.Fatal(err)
	}
	if s.method != "POST" || s.path != "/v1/callbacks/im" || s.query.Get("CallbackCommand") != "Group.CallbackBeforeSendMsg" {
		t.Errorf("request %s %s ?%v", s.method, s.path, s.query)
	}
	if string(s.body) != `{"test":"hello world"}` || s.host != "1250000000-abcdefghij-ap-guangzhou.scf.tencentcs.com" {
		t.Errorf("body %q host %q", s.body, s.host)
	}
	if s.remoteIP != "" {
		t.Errorf("remote %q, want none: the event has no source address", s.remoteIP)
	}
	if reply.StatusCode != 200 || reply.Body != `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}` {
		t.Errorf("reply %+v", reply)
	}
}

func TestSCFHeaderKeysDifferingInCaseKeepEveryValue(t *testing.T) {
	var got []string
	h := platform.SCFHandler(platform.Function{HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Values("X-Tag")
	})})
	invoke(t, h, []byte(`{"httpMethod":"GET","path":"/","headers":{"X-Tag":"a","x-tag":"b"}}`))
	slices.Sort(got)
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("X-Tag values %q, want a and b", got)
	}
}

func TestSCFQueryFromQueryStringParameters(t *testing.T) {
	var s seen
	h := platform.SCFHandler(platform.Function{HTTP: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		observe(t, &s, r)
	})})
	event := `{"path":"/v1/rooms","httpMethod":"GET","headers":{"host":"env-id.service.tcloudbase.com"},
		"queryStringParameters":{"status":"live","page":2},"requestContext":{"requestId":"cdbb9632","envId":"env-id","appId":123456789},
		"isBase64Encoded":false,"body":""}`
	invoke(t, h, []byte(event))
	if s.query.Get("status") != "live" || s.query.Get("page") != "2" || s.host != "env-id.service.tcloudbase.com" {
		t.Errorf("query %v host %q", s.query, s.host)
	}
}
