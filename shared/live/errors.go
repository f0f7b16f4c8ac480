package live

import (
	"errors"
	"fmt"
)

// Stable error codes. Clients may rely on them; the HTTP layer maps each to one status in one place.
const (
	EInvalid          = "invalid_request"       // a field is missing, malformed or out of range
	EMalformedJSON    = "malformed_json"        // the body is not the JSON the endpoint expects
	ETooLarge         = "body_too_large"        // the body exceeds the endpoint's limit
	EUnauthorized     = "unauthorized"          // no credentials, or credentials that do not verify
	EForbidden        = "forbidden"             // valid credentials without the right to do this
	ENotFound         = "not_found"             // the resource or route does not exist
	EMethodNotAllowed = "method_not_allowed"    // the route exists for other methods
	EConflict         = "conflict"              // the resource's state does not allow the change
	EUnprocessable    = "unprocessable"         // well-formed but cannot be applied as asked
	EIdempotencyReuse = "idempotency_key_reuse" // an Idempotency-Key was replayed with another body
	EInternal         = "internal"              // a fault on our side; details are logged, not returned
)

// Error is a failure with a stable code and a message fit for the caller. Messages never carry
// secrets.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorCode returns the stable code.
func (e *Error) ErrorCode() string { return e.Code }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the stable code of err: the code of the first error in its chain that names one
// (an *Error, or any error with an ErrorCode method such as an IM client error), or EInternal.
func ErrorCode(err error) string {
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return EInternal
}

// ErrorMessage returns the caller-facing message of err: the message of an *Error, or of an
// adapter error that offers one through a PublicMessage method. Any other error gets a generic
// message, so that internal details such as hosts, keys or store layouts never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var p interface{ PublicMessage() string }
	if errors.As(err, &p) {
		return p.PublicMessage()
	}
	return "An internal error occurred."
}

// InField returns err with the name of the field it concerns before its message, as in
// "anchorId: A user ID must not be empty.", keeping its code. Errors other than *Error, and nil,
// are returned as they are.
func InField(field string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	return &Error{Code: e.Code, Message: field + ": " + e.Message}
}
