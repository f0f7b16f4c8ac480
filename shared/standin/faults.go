package standin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/uriba-live/uriba/shared/tim"
)

// Faulty wraps a stand-in's handler and makes chosen REST commands fail on purpose, as IM does
// when it refuses a call or its answer is lost, for tests of what a caller does then.
type Faulty struct {
	next  http.Handler
	mu    sync.Mutex
	rules map[string]*fault
}

type fault struct {
	left  int // calls still to fail; negative: every call
	code  int
	after bool
}

// NewFaulty returns next with no fault yet.
func NewFaulty(next http.Handler) *Faulty {
	return &Faulty{next: next, rules: map[string]*fault{}}
}

// Fail makes the next n calls of command (such as "group_open_http_svc/send_group_msg") answer
// the IM error code; n < 0 fails every call until Clear. With afterDelivery the call is carried
// out first and only its answer replaced, as when IM's reply is lost.
func (f *Faulty) Fail(command string, n, code int, afterDelivery bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules[command] = &fault{left: n, code: code, after: afterDelivery}
}

// Clear removes every fault.
func (f *Faulty) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = map[string]*fault{}
}

// ServeHTTP answers as the stand-in does, but for the calls chosen to fail.
func (f *Faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	command := strings.TrimPrefix(r.URL.Path, "/v4/")
	f.mu.Lock()
	rule := f.rules[command]
	fail := rule != nil && rule.left != 0
	var code int
	var after bool
	if fail {
		if rule.left > 0 {
			rule.left--
		}
		code, after = rule.code, rule.after
	}
	f.mu.Unlock()
	if !fail {
		f.next.ServeHTTP(w, r)
		return
	}
	if after {
		f.next.ServeHTTP(httptest.NewRecorder(), r)
	}
	writeJSON(w, http.StatusOK, tim.Reply{ActionStatus: "FAIL", ErrorCode: code, ErrorInfo: "failed on purpose"})
}
