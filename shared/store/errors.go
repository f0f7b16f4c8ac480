package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/uriba-live/uriba/shared/live"
)

// sentinel is a kind of failure with the stable code of package live it is reported as.
type sentinel struct {
	code, text string
}

func (s *sentinel) Error() string     { return s.text }
func (s *sentinel) ErrorCode() string { return s.code }

// Kinds of failure. Each *Error wraps exactly one of them, so that errors.Is(err,
// store.ErrUnavailable) tells a caller what happened. A store error translates into a code of
// package live at this boundary: ErrUnavailable is live.EStoreUnavailable (HTTP 503, the caller
// may try again), every other kind live.EInternal (HTTP 500: callers validate their input before
// building keys, so these are faults of uriba's or of the store's set-up). Its message is for
// logs, never for callers; PublicMessage gives the one for callers.
var (
	// ErrUnavailable means the store could not be reached or did not answer in time, after the
	// client's retries, or that the caller's context ended first.
	ErrUnavailable error = &sentinel{live.EStoreUnavailable, "store unavailable"}
	// ErrInvalid means the call broke a rule of the port, such as a key, value, ttl or limit the
	// port does not accept, and was not sent.
	ErrInvalid error = &sentinel{live.EInternal, "invalid store call"}
	// ErrWrongKind means the key holds a record of the other kind: a counter method on a value,
	// or Get on a counter.
	ErrWrongKind error = &sentinel{live.EInternal, "record of the wrong kind"}
	// ErrFailed is every other failure: a missing table, refused credentials, a damaged record.
	ErrFailed error = &sentinel{live.EInternal, "store failure"}
)

// Error is a failed store call.
type Error struct {
	// Op is the method that failed, such as "PutIfAbsent".
	Op string
	// Key is the key or directory of the call, when there is one.
	Key string
	// Kind is ErrUnavailable, ErrInvalid, ErrWrongKind or ErrFailed; nil counts as ErrFailed.
	Kind error
	// Detail says what was wrong, for ErrInvalid and for failures without a cause.
	Detail string
	// Err is the cause reported by the backend or the context, if any.
	Err error
	// Unapplied lists, for a failed AddMany that applied some of its deltas, the keys whose deltas
	// may not have been applied; the others were. Nil means that any of them may not have been.
	// Unapplied reads it.
	Unapplied []string
}

// Error describes the failure in one line, for logs.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("store: ")
	b.WriteString(e.Op)
	if e.Key != "" {
		b.WriteString(" ")
		b.WriteString(quoteKey(e.Key))
	}
	b.WriteString(": ")
	b.WriteString(e.kind().Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the kind and the cause, so that errors.Is matches both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.kind()}
	}
	return []error{e.kind(), e.Err}
}

// ErrorCode returns the live code of the kind of failure: live.EStoreUnavailable or
// live.EInternal.
func (e *Error) ErrorCode() string {
	if s, ok := e.kind().(*sentinel); ok {
		return s.code
	}
	return live.EInternal
}

// PublicMessage returns the message a caller may see: a generic one that names neither the key
// nor the backend's failure.
func (e *Error) PublicMessage() string {
	if e.kind() == ErrUnavailable {
		return "The store is unavailable; try again shortly."
	}
	return "An internal error occurred."
}

func (e *Error) kind() error {
	if e.Kind == nil {
		return ErrFailed
	}
	return e.Kind
}

// quoteKey quotes a key for a log line, cut to 100 bytes.
func quoteKey(key string) string {
	const max = 100
	if len(key) <= max {
		return strconv.Quote(key)
	}
	cut := max
	for cut > 0 && key[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return strconv.Quote(key[:cut]) + "…"
}

// Invalid returns an ErrInvalid *Error.
func Invalid(op, key, detail string) *Error {
	return &Error{Op: op, Key: key, Kind: ErrInvalid, Detail: detail}
}

// WrongKind returns an ErrWrongKind *Error.
func WrongKind(op, key string) *Error {
	return &Error{Op: op, Key: key, Kind: ErrWrongKind}
}

// Fail wraps a backend failure in an *Error. Context errors and failures that transient reports
// as temporary become ErrUnavailable, anything else ErrFailed. An *Error passes through unchanged,
// and a nil err gives nil.
func Fail(op, key string, err error, transient func(error) bool) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	kind := ErrFailed
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		(transient != nil && transient(err)) {
		kind = ErrUnavailable
	}
	return &Error{Op: op, Key: key, Kind: kind, Err: err}
}

// Unapplied returns the deltas of a failed AddMany that may not have been applied, err being its
// error: those of the keys err lists, or every delta when it lists none. Applying them again
// completes the call, at least once as every Add. It returns nil for a nil err.
func Unapplied(err error, deltas map[string]int64) map[string]int64 {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) || e.Unapplied == nil {
		return maps.Clone(deltas)
	}
	out := make(map[string]int64, len(e.Unapplied))
	for _, key := range e.Unapplied {
		if d, ok := deltas[key]; ok {
			out[key] = d
		}
	}
	return out
}

// WithUnapplied returns err, a failed AddMany's, as an *Error listing the keys whose deltas may
// not have been applied; nil for a nil err. Adapters whose AddMany is not atomic use it.
func WithUnapplied(err error, keys []string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Op: "AddMany", Err: err}
	}
	c := *e
	c.Unapplied = slices.Clone(keys)
	slices.Sort(c.Unapplied)
	return &c
}
