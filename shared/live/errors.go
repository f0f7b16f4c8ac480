package live

import (
	"errors"
	"fmt"
)

// Stable error codes. Clients may rely on them; the HTTP layer maps each to one status in one
// place, and the README lists them. Adapters translate their own failures into these codes at
// their boundary (see ErrorCode), so no other code reaches a caller.
const (
	EInvalid           = "invalid_request"       // a field is missing, malformed or out of range
	EMalformedJSON     = "malformed_json"        // the body is not the JSON the endpoint expects
	ETooLarge          = "body_too_large"        // the body exceeds the endpoint's limit
	EUnauthorized      = "unauthorized"          // no credentials, or credentials that do not verify
	EForbidden         = "forbidden"             // valid credentials that do not allow the request
	ENotFound          = "not_found"             // the resource or route does not exist
	EMethodNotAllowed  = "method_not_allowed"    // the route exists for other methods
	EConflict          = "conflict"              // the resource's state does not allow the change
	EUnprocessable     = "unprocessable"         // well-formed but cannot be applied as asked
	EIdempotencyReuse  = "idempotency_key_reuse" // an Idempotency-Key was replayed with another body
	EInsufficientCoins = "insufficient_coins"    // the coin balance does not cover the gift
	EIMUnavailable     = "im_unavailable"        // IM unreachable or failing after the retries
	EIMRateLimited     = "im_rate_limited"       // IM kept refusing for frequency after the retries
	EIMRejected        = "im_rejected"           // IM refused a well-formed request
	EStoreUnavailable  = "store_unavailable"     // the store is down after its client's retries
	EInternal          = "internal"              // a fault on our side; details are logged, not returned
)

// Codes returns every stable code, in the order of their declaration.
func Codes() []string {
	return []string{EInvalid, EMalformedJSON, ETooLarge, EUnauthorized, EForbidden, ENotFound, EMethodNotAllowed,
		EConflict, EUnprocessable, EIdempotencyReuse, EInsufficientCoins, EIMUnavailable, EIMRateLimited, EIMRejected,
		EStoreUnavailable, EInternal}
}

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

// ErrorCode returns the code of err: the code of the first error in its chain that names one (an
// *Error, or any error with an ErrorCode method, such as an IM client or store error, which
// report the stable codes above), or EInternal. An error of another layer may name a code of its
// own, such as a queue's; the HTTP layer answers those as EInternal.
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
