package tim

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testAppID = 1400000001
	testKey   = "5ec7e7-test-secret-key-d0-not-use"
	testAdmin = "administrator"
)

// fakeRequest is one request the fake IM received.
type fakeRequest struct {
	Method      string
	Path        string
	Query       url.Values
	ContentType string
	Body        []byte
}

// fakeIM is a loopback stand-in for IM's REST endpoint. reply decides the answer to the n-th
// request (1-based); by default it answers OK.
type fakeIM struct {
	srv      *httptest.Server
	newConns atomic.Int64
	count    atomic.Int64

	mu    sync.Mutex
	reqs  []fakeRequest
	reply func(n int, r fakeRequest) (status int, body string)
}

const okReply = `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`

func failReply(code int) string {
	b, _ := json.Marshal(Reply{ActionStatus: StatusFail, ErrorCode: code, ErrorInfo: "fake failure"})
	return string(b)
}

func newFakeIM(t testing.TB, reply func(n int, r fakeRequest) (int, string)) *fakeIM {
	t.Helper()
	f := &fakeIM{reply: reply}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.newConns.Add(1)
		}
	}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := fakeRequest{
		Method:      r.Method,
		Path:        r.URL.Path,
		Query:       r.URL.Query(),
		ContentType: r.Header.Get("Content-Type"),
		Body:        body,
	}
	n := int(f.count.Add(1))
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	reply := f.reply
	f.mu.Unlock()
	status, out := http.StatusOK, okReply
	if reply != nil {
		status, out = reply(n, req)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, out)
}

func (f *fakeIM) requests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.reqs...)
}

// fastRetry keeps retry tests quick.
var fastRetry = RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

func newTestClient(t testing.TB, baseURL string, edit ...func(*ClientConfig)) *Client {
	t.Helper()
	cfg := ClientConfig{
		SDKAppID:  testAppID,
		SecretKey: testKey,
		Admin:     testAdmin,
		BaseURL:   baseURL,
		Retry:     fastRetry,
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// assertJSON fails unless got and want encode the same JSON value.
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

// asError returns err as *Error or fails.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v (%T) is not a *tim.Error", err, err)
	}
	return e
}
