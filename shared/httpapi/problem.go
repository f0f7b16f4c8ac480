package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// statusOf maps each stable error code to its HTTP status. Codes not listed are internal faults.
var statusOf = map[string]int{
	live.EInvalid:            http.StatusBadRequest,
	live.EMalformedJSON:      http.StatusBadRequest,
	live.ETooLarge:           http.StatusRequestEntityTooLarge,
	live.EUnauthorized:       http.StatusUnauthorized,
	live.EForbidden:          http.StatusForbidden,
	live.ENotFound:           http.StatusNotFound,
	live.EMethodNotAllowed:   http.StatusMethodNotAllowed,
	live.EConflict:           http.StatusConflict,
	live.EUnprocessable:      http.StatusUnprocessableEntity,
	live.EIdempotencyReuse:   http.StatusUnprocessableEntity,
	live.EInternal:           http.StatusInternalServerError,
	tim.ErrorCodeRateLimited: http.StatusServiceUnavailable,
	tim.ErrorCodeUnavailable: http.StatusBadGateway,
	tim.ErrorCodeAuth:        http.StatusBadGateway,
	tim.ErrorCodeNotFound:    http.StatusNotFound,
	tim.ErrorCodeInvalid:     http.StatusUnprocessableEntity,
	tim.ErrorCodeRejected:    http.StatusBadGateway,
	store.CodeUnavailable:    http.StatusServiceUnavailable,
	store.CodeInvalid:        http.StatusInternalServerError,
	store.CodeWrongKind:      http.StatusInternalServerError,
	store.CodeFailed:         http.StatusInternalServerError,
}

// Problem is an RFC 9457 problem document with uriba's stable code.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// StatusFor returns the HTTP status for a stable error code.
func StatusFor(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// WriteError writes err as a problem document. Errors without a stable code become a generic
// internal error; their text is never sent.
func WriteError(w http.ResponseWriter, err error) {
	code := live.ErrorCode(err)
	status := StatusFor(code)
	detail := live.ErrorMessage(err)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
		if code == store.CodeUnavailable {
			detail = "The store is unavailable; try again shortly."
		}
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
