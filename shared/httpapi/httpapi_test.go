package httpapi

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/live"
)

func newTestRouter() *Router {
	return NewRouter(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, rec.Body)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body, err)
	}
	if p.Status != rec.Code {
		t.Fatalf("problem status %d, response status %d", p.Status, rec.Code)
	}
	return p
}

func serve(h http.Handler, method, target, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestUnknownRouteAndWrongMethodAreProblems(t *testing.T) {
	rt := newTestRouter()
	rt.Handle("POST /v1/things", func(w http.ResponseWriter, r *http.Request) error { return WriteJSON(w, 200, "ok") })

	rec := serve(rt, "GET", "/v1/nothing", "", nil)
	if p := decodeProblem(t, rec); rec.Code != 404 || p.Code != live.ENotFound {
		t.Fatalf("unknown route: %d %+v", rec.Code, p)
	}
	rec = serve(rt, "DELETE", "/v1/things", "", nil)
	if p := decodeProblem(t, rec); rec.Code != 405 || p.Code != live.EMethodNotAllowed {
		t.Fatalf("wrong method: %d %+v", rec.Code, p)
	}
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "POST") {
		t.Fatalf("Allow %q does not name POST", allow)
	}
	if rec := serve(rt, "GET", "/healthz", "", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "ok") {
		t.Fatalf("healthz: %d %s", rec.Code, rec.Body)
	}
}

func TestErrorsMapToStatusAndHideInternals(t *testing.T) {
	rt := newTestRouter()
	rt.Handle("GET /conflict", func(http.ResponseWriter, *http.Request) error {
		return live.Errorf(live.EConflict, "The room has ended.")
	})
	rt.Handle("GET /internal", func(http.ResponseWriter, *http.Request) error {
		return errors.New("dial tcp 10.0.0.1:6379: secret-host refused")
	})
	rt.Handle("GET /panic", func(http.ResponseWriter, *http.Request) error { panic("boom") })

	rec := serve(rt, "GET", "/conflict", "", nil)
	if p := decodeProblem(t, rec); rec.Code != 409 || p.Code != live.EConflict || p.Detail != "The room has ended." {
		t.Fatalf("conflict: %d %+v", rec.Code, p)
	}
	for _, path := range []string{"/internal", "/panic"} {
		rec = serve(rt, "GET", path, "", nil)
		p := decodeProblem(t, rec)
		if rec.Code != 500 || p.Code != live.EInternal || strings.Contains(rec.Body.String(), "secret-host") || strings.Contains(rec.Body.String(), "boom") {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

type greeting struct {
	Name string `json:"name"`
}

func (g greeting) Validate() error {
	if g.Name == "" {
		return live.Errorf(live.EInvalid, "name is required.")
	}
	return nil
}

func TestDecodeJSON(t *testing.T) {
	rt := newTestRouter()
	rt.Handle("POST /greet", func(w http.ResponseWriter, r *http.Request) error {
		var g greeting
		if err := DecodeJSON(r, &g, false); err != nil {
			return err
		}
		return WriteJSON(w, 200, g)
	})
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"valid", `{"name":"mei"}`, 200, ""},
		{"malformed", `{"name":`, 400, live.EMalformedJSON},
		{"wrong type", `{"name":3}`, 400, live.EMalformedJSON},
		{"unknown field", `{"name":"a","admin":true}`, 400, live.EMalformedJSON},
		{"trailing data", `{"name":"a"}{"name":"b"}`, 400, live.EMalformedJSON},
		{"invalid utf-8", "{\"name\":\"\xff\"}", 400, live.EMalformedJSON},
		{"empty", ``, 400, live.EMalformedJSON},
		{"fails validation", `{"name":""}`, 400, live.EInvalid},
		{"over 1 MiB", `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413, live.ETooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := serve(rt, "POST", "/greet", c.body, nil)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			if c.code != "" {
				if p := decodeProblem(t, rec); p.Code != c.code {
					t.Fatalf("code %q, want %q", p.Code, c.code)
				}
			}
		})
	}
	// A body over the limit with no Content-Length (chunked) is refused too.
	req := httptest.NewRequest("POST", "/greet", io.MultiReader(strings.NewReader(`{"name":"`), strings.NewReader(strings.Repeat("a", MaxBodyBytes)), strings.NewReader(`"}`)))
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Fatalf("chunked oversize body: %d", rec.Code)
	}
}

func TestMerchantKeys(t *testing.T) {
	keys := MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte("mk_first")), sha256.Sum256([]byte("mk_second"))}}
	rt := newTestRouter()
	rt.Handle("GET /m", keys.Require(func(w http.ResponseWriter, r *http.Request) error { return WriteJSON(w, 200, "in") }))
	for header, want := range map[string]int{
		"Bearer mk_first":  200,
		"bearer mk_second": 200,
		"Bearer mk_third":  401,
		"Bearer ":          401,
		"Basic mk_first":   401,
		"mk_first":         401,
		"":                 401,
	} {
		rec := serve(rt, "GET", "/m", "", map[string]string{"Authorization": header})
		if rec.Code != want {
			t.Errorf("Authorization %q: %d, want %d", header, rec.Code, want)
		}
		if want == 401 {
			if p := decodeProblem(t, rec); p.Code != live.EUnauthorized || strings.Contains(rec.Body.String(), "mk_") {
				t.Errorf("Authorization %q: %+v", header, p)
			}
		}
	}
}

func TestViewers(t *testing.T) {
	verify := func(userID, sig string, now time.Time) error {
		if sig == "sig-of-"+userID {
			return nil
		}
		return errors.New("bad sig")
	}
	rt := newTestRouter()
	rt.Handle("GET /v", Viewers{Verify: verify}.Require(func(w http.ResponseWriter, r *http.Request) error {
		return WriteJSON(w, 200, ViewerID(r.Context()))
	}))
	rec := serve(rt, "GET", "/v", "", map[string]string{"Authorization": "UserSig sig-of-mei", "X-User-Id": "mei"})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"mei"`) {
		t.Fatalf("valid viewer: %d %s", rec.Code, rec.Body)
	}
	for name, h := range map[string]map[string]string{
		"sig of another user": {"Authorization": "UserSig sig-of-ken", "X-User-Id": "mei"},
		"no user id":          {"Authorization": "UserSig sig-of-mei"},
		"no sig":              {"X-User-Id": "mei"},
		"bearer scheme":       {"Authorization": "Bearer sig-of-mei", "X-User-Id": "mei"},
	} {
		if rec := serve(rt, "GET", "/v", "", h); rec.Code != 401 {
			t.Errorf("%s: %d", name, rec.Code)
		}
	}
	if rec := serve(rt, "GET", "/v", "", map[string]string{"Authorization": "UserSig x", "X-User-Id": strings.Repeat("u", 33)}); rec.Code != 400 {
		t.Errorf("33-byte user id: %d", rec.Code)
	}
}
