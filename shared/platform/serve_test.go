package platform_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/platform"
)

// rawServer serves h with platform.Serve on a loopback port and returns its address.
func rawServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- platform.Serve(ctx, ln, h, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return ln.Addr().String()
}

// rawRequest writes req to a new connection to addr as it is, and reads the answer.
func rawRequest(t *testing.T, addr, req string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: strings.Fields(req)[0]})
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	return resp, body
}

// countingHandler counts the requests that reach it and answers them 200.
func countingHandler() (http.Handler, *atomic.Int64) {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.WriteString(w, "ok")
	}), &n
}

func TestRequestTargetsThatAreNotPathsGetProblems(t *testing.T) {
	h, reached := countingHandler()
	addr := rawServer(t, h)
	for _, req := range []string{
		"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
		"DELETE * HTTP/1.1\r\nHost: x\r\n\r\n",
		"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	} {
		resp, body := rawRequest(t, addr, req)
		var p struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
		}
		if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != http.StatusBadRequest ||
			resp.Header.Get("Content-Type") != "application/problem+json" || p.Code != "invalid_request" || p.Status != 400 {
			t.Errorf("%q: HTTP %d %s %q, want a 400 invalid_request problem", req, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("%d of these requests reached the handler", n)
	}
	// An ordinary request still does.
	if resp, body := rawRequest(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("GET /healthz: HTTP %d %q", resp.StatusCode, body)
	}
}

// TestMalformedRequestsNetHTTPAnswersItself records what net/http's server answers, before any
// handler runs, to requests it cannot parse; Serve's documentation lists them. They stay client
// errors, except the two 5xx answers net/http gives by design, and never reach the handler.
func TestMalformedRequestsNetHTTPAnswersItself(t *testing.T) {
	h, reached := countingHandler()
	addr := rawServer(t, h)
	for _, tc := range []struct {
		req    string
		status int
	}{
		{"GET /v1/rooms/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n", 400},
		{"GET /healthz HTTP/1.1\r\n\r\n", 400},
		{"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
		{"GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-nothing\r\n\r\n", 417},
		{"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505},
	} {
		resp, body := rawRequest(t, addr, tc.req)
		t.Logf("%q: HTTP %d %q %q", strings.SplitN(tc.req, "\r\n", 2)[0], resp.StatusCode, resp.Header.Get("Content-Type"), body)
		if resp.StatusCode != tc.status {
			t.Errorf("%q: HTTP %d, want %d (update Serve's documentation if net/http changed)", tc.req, resp.StatusCode, tc.status)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("%d malformed requests reached the handler", n)
	}
}
