package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/uriba-live/uriba/shared/live"
)

// statusOf maps each stable code of package live to its HTTP status: the one table of them.
// Adapters translate their failures into these codes (IM client and store errors report them
// from ErrorCode), so no other code is ever answered; an error naming another code is answered as
// live.EInternal. The README's table of codes documents this one.
var statusOf = map[string]int{
	live.EInvalid:           http.StatusBadRequest,
	live.EMalformedJSON:     http.StatusBadRequest,
	live.EUnauthorized:      http.StatusUnauthorized,
	live.EForbidden:         http.StatusForbidden,
	live.ENotFound:          http.StatusNotFound,
	live.EMethodNotAllowed:  http.StatusMethodNotAllowed,
	live.EConflict:          http.StatusConflict,
	live.ETooLarge:          http.StatusRequestEntityTooLarge,
	live.EUnprocessable:     http.StatusUnprocessableEntity,
	live.EIdempotencyReuse:  http.StatusUnprocessableEntity,
	live.EInsufficientCoins: http.StatusPaymentRequired,
	live.EInternal:          http.StatusInternalServerError,
	live.EIMUnavailable:     http.StatusBadGateway,
	live.EIMRejected:        http.StatusBadGateway,
	live.EIMRateLimited:     http.StatusServiceUnavailable,
	live.EStoreUnavailable:  http.StatusServiceUnavailable,
}

// Problem is an RFC 9457 problem document with uriba's stable code.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// StatusFor returns the HTTP status for a stable error code; any other code is an internal fault.
func StatusFor(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// WriteError writes err as a problem document with its stable code and the message meant for
// callers (see live.ErrorMessage). An error without a stable code becomes a generic internal
// error; its text is never sent. A 503 answer carries Retry-After.
func WriteError(w http.ResponseWriter, err error) {
	code := live.ErrorCode(err)
	detail := live.ErrorMessage(err)
	status, ok := statusOf[code]
	if !ok {
		code, status, detail = live.EInternal, http.StatusInternalServerError, "An internal error occurred."
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeProblem(w, Problem{
		Type:   "urn:uriba:problem:" + code,
		Title:  http.StatusText(status),
		Status: status,
		Code:   code,
		Detail: detail,
	})
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}
