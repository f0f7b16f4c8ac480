package live

import (
	"errors"
	"fmt"
	"testing"
)

type upstreamError struct{}

func (upstreamError) Error() string     { return "im: send_group_msg: ErrorCode 60007" }
func (upstreamError) ErrorCode() string { return "im_rate_limited" }
func (upstreamError) PublicMessage() string {
	return "Tencent IM is rate limiting; try again shortly."
}

type storeError struct{}

func (storeError) Error() string     { return "store: dial tcp 10.1.2.3:6379: connection refused" }
func (storeError) ErrorCode() string { return EStoreUnavailable }

func TestErrorCodeAndMessage(t *testing.T) {
	cases := []struct {
		err           error
		code, message string
	}{
		{Errorf(EConflict, "The room has ended."), EConflict, "The room has ended."},
		{fmt.Errorf("set status: %w", Errorf(ENotFound, "No room r1.")), ENotFound, "No room r1."},
		{fmt.Errorf("pin: %w", upstreamError{}), "im_rate_limited", "Tencent IM is rate limiting; try again shortly."},
		{fmt.Errorf("pin: %w", storeError{}), EStoreUnavailable, "An internal error occurred."},
		{errors.New("dial tcp 10.1.2.3:6379: connection refused"), EInternal, "An internal error occurred."},
	}
	for _, c := range cases {
		if got := ErrorCode(c.err); got != c.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", c.err, got, c.code)
		}
		if got := ErrorMessage(c.err); got != c.message {
			t.Errorf("ErrorMessage(%v) = %q, want %q", c.err, got, c.message)
		}
	}
}

func TestCodesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Codes() {
		if c == "" || seen[c] {
			t.Errorf("code %q is empty or listed twice", c)
		}
		seen[c] = true
	}
	if !seen[EInternal] || !seen[EIMRejected] || !seen[EStoreUnavailable] {
		t.Errorf("Codes() = %v misses a code", Codes())
	}
}
