package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// documentedCodes reads the table of error codes in the README: each code with its status.
func documentedCodes(t *testing.T) map[string]int {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	in := false
	backticked := regexp.MustCompile("`([a-z_]+)`")
	for line := range strings.Lines(string(readme)) {
		line = strings.TrimSpace(line)
		if line == "| code | status | when |" {
			in = true
			continue
		}
		if !in || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(line, "|")
		status, err := strconv.Atoi(strings.TrimSpace(cells[2]))
		if err != nil {
			t.Fatalf("README row %q has no status", line)
		}
		for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
			codes[m[1]] = status
		}
	}
	if len(codes) == 0 {
		t.Fatal("the README has no table of error codes")
	}
	return codes
}

func TestEveryCodeIsDocumentedWithItsStatus(t *testing.T) {
	documented := documentedCodes(t)
	for code, status := range statusOf {
		if got, ok := documented[code]; !ok || got != status {
			t.Errorf("code %q answers %d; the README says %d (0: not listed)", code, status, got)
		}
	}
	for code := range documented {
		if _, ok := statusOf[code]; !ok {
			t.Errorf("the README lists %q, which has no status here", code)
		}
	}
	for _, code := range live.Codes() {
		if _, ok := statusOf[code]; !ok {
			t.Errorf("live code %q has no status", code)
		}
	}
	if len(statusOf) != len(live.Codes()) {
		t.Errorf("%d codes have a status, but live has %d", len(statusOf), len(live.Codes()))
	}
}

func TestTheOpenAPIDocumentListsTheCodes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Problem struct {
					Properties struct {
						Code struct {
							Enum []string `json:"enum"`
						} `json:"code"`
					} `json:"properties"`
				} `json:"Problem"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	enum := slices.Sorted(slices.Values(doc.Components.Schemas.Problem.Properties.Code.Enum))
	want := slices.Sorted(slices.Values(live.Codes()))
	if !slices.Equal(enum, want) {
		t.Errorf("openapi.json lists codes %v, want %v", enum, want)
	}
}

// foreignCoded is an error of another layer that names a code of its own.
type foreignCoded struct{}

func (foreignCoded) Error() string         { return "queue: publish failed at 10.0.0.7" }
func (foreignCoded) ErrorCode() string     { return "queue_publish_failed" }
func (foreignCoded) PublicMessage() string { return "Queue 10.0.0.7 refused." }

func TestAdapterErrorsAnswerWithLiveCodes(t *testing.T) {
	netErr := errors.New("dial tcp 10.9.8.7:443: connection refused")
	cases := []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter bool
		detail     []string // substrings the detail must hold
	}{
		{"IM unreachable", &tim.Error{Call: "group_open_http_svc/create_group", Kind: tim.KindUnavailable, Err: netErr, Attempts: 4},
			http.StatusBadGateway, live.EIMUnavailable, false, []string{"Tencent IM", "create_group"}},
		{"IM rate limit", &tim.Error{Kind: tim.KindRateLimited, IMCode: tim.CodeRESTFrequency, IMInfo: "too frequent"},
			http.StatusServiceUnavailable, live.EIMRateLimited, true, []string{"60007", "too frequent"}},
		{"IM refusal", &tim.Error{Kind: tim.KindRejected, IMCode: 10007, IMInfo: "no permission"},
			http.StatusBadGateway, live.EIMRejected, false, []string{"10007", "no permission"}},
		{"IM refuses the admin", &tim.Error{Kind: tim.KindAuth, IMCode: 70001, IMInfo: "sig expired"},
			http.StatusBadGateway, live.EIMRejected, false, []string{"70001"}},
		{"IM does not know the group", &tim.Error{Kind: tim.KindNotFound, IMCode: tim.CodeGroupNotFound},
			http.StatusNotFound, live.ENotFound, false, []string{"10010"}},
		{"IM limit", &tim.Error{Kind: tim.KindInvalid, Field: "Name", Detail: "is too long"},
			http.StatusUnprocessableEntity, live.EUnprocessable, false, []string{"Name is too long"}},
		{"store down", fmt.Errorf("load room: %w", store.Fail("Get", "rooms/r1", netErr, func(error) bool { return true })),
			http.StatusServiceUnavailable, live.EStoreUnavailable, true, []string{"store is unavailable"}},
		{"store fault", store.WrongKind("Get", "rooms/r1"),
			http.StatusInternalServerError, live.EInternal, false, []string{"internal error"}},
		{"foreign code", fmt.Errorf("publish: %w", foreignCoded{}),
			http.StatusInternalServerError, live.EInternal, false, []string{"internal error"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteError(rec, c.err)
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if rec.Code != c.status || p.Status != c.status || p.Code != c.code || p.Type != "urn:uriba:problem:"+c.code {
				t.Errorf("answered %d %+v, want %d %s", rec.Code, p, c.status, c.code)
			}
			if got := rec.Header().Get("Retry-After") != ""; got != c.retryAfter {
				t.Errorf("Retry-After set: %v, want %v", got, c.retryAfter)
			}
			for _, s := range c.detail {
				if !strings.Contains(p.Detail, s) {
					t.Errorf("detail %q lacks %q", p.Detail, s)
				}
			}
			for _, leak := range []string{"10.9.8.7", "10.0.0.7", "dial tcp", "rooms/r1", "store:"} {
				if strings.Contains(rec.Body.String(), leak) {
					t.Errorf("the answer shows %q: %s", leak, rec.Body.String())
				}
			}
		})
	}
}
