package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// Stable error codes, one per sentinel, reported by ErrorCode. The suggested HTTP status is given
// with each; the message of a store error is for logs, never for callers.
const (
	// CodeUnavailable is the store unreachable, timing out or throttling after retries (HTTP 503).
	CodeUnavailable = "store_unavailable"
	// CodeInvalid is a key, value, ttl or limit the port does not accept (HTTP 500: callers
	// validate their input before building keys).
	CodeInvalid = "store_invalid"
	// CodeWrongKind is a counter method on a value, or Get on a counter (HTTP 500).
	CodeWrongKind = "store_wrong_kind"
	// CodeFailed is any other failure: a missing table, refused credentials, a damaged record
	// (HTTP 500).
	CodeFailed = "store_failed"
)

// sentinel is a kind of failure with its stable code.
type sentinel struct {
	code, text string
}

func (s *sentinel) Error() string     { return s.text }
func (s *sentinel) ErrorCode() string { return s.code }

// Kinds of failure. Each *Error wraps exactly one of them, so that errors.Is(err,
// store.ErrUnavailable) tells a caller what happened.
var (
	// ErrUnavailable means the store could not be reached or did not answer in time, after the
	// client's retries, or that the caller's context ended first.
	ErrUnavailable error = &sentinel{CodeUnavailable, "store unavailable"}
	// ErrInvalid means the call broke a rule of the port and was not sent.
	ErrInvalid error = &sentinel{CodeInvalid, "invalid store call"}
	// ErrWrongKind means the key holds a record of the other kind.
	ErrWrongKind error = &sentinel{CodeWrongKind, "record of the wrong kind"}
	// ErrFailed is every other failure.
	ErrFailed error = &sentinel{CodeFailed, "store failure"}
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

// ErrorCode returns the stable code of the kind of failure.
func (e *Error) ErrorCode() string {
	if s, ok := e.kind().(*sentinel); ok {
		return s.code
	}
	return CodeFailed
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
