package tim

import (
	"errors"
	"strconv"
	"strings"

	"github.com/uriba-live/uriba/shared/live"
)

// Kind sorts a failure by what the caller can do about it.
type Kind int

// Kinds of failure. The zero Kind is KindRejected, so an Error built without a Kind never looks
// retryable.
const (
	// KindRejected is any refusal that fits no other kind: no permission, muted sender, a
	// callback that refused the operation, an exhausted quota, an unexpected HTTP status.
	KindRejected Kind = iota
	// KindRateLimited means IM refused the call because of a frequency limit. It is retried
	// within the retry budget and reported once the budget is spent.
	KindRateLimited
	// KindAuth means IM did not accept the admin credentials: a bad or expired UserSig, a wrong
	// key or SDKAppID, or an identifier that is not an app admin. It is never retried.
	KindAuth
	// KindNotFound means the group or account named in the call does not exist.
	KindNotFound
	// KindInvalid means the request broke a documented limit or IM refused a parameter. Limits
	// are checked before any network call. It is never retried.
	KindInvalid
	// KindTransient is a failure that may succeed when repeated: a network error, a timeout,
	// HTTP 5xx or an internal IM error. A call reports it when it was not retried, for example
	// because the caller's context ended or the call is not safe to repeat.
	KindTransient
	// KindUnavailable means transient failures continued until the retry budget was spent.
	KindUnavailable
)

var kindNames = [...]string{
	KindRejected:    "rejected",
	KindRateLimited: "rate limited",
	KindAuth:        "auth",
	KindNotFound:    "not found",
	KindInvalid:     "invalid",
	KindTransient:   "transient",
	KindUnavailable: "unavailable",
}

// String returns a short lowercase name of the kind.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinels that match an *Error of the same Kind under errors.Is, for example
// errors.Is(err, tim.ErrNotFound). ErrUnavailable matches KindTransient too.
var (
	ErrRejected    = errors.New("tim: rejected")
	ErrRateLimited = errors.New("tim: rate limited")
	ErrAuth        = errors.New("tim: admin credentials refused")
	ErrNotFound    = errors.New("tim: not found")
	ErrInvalid     = errors.New("tim: invalid request")
	ErrTransient   = errors.New("tim: transient failure")
	ErrUnavailable = errors.New("tim: unavailable")
)

var kindSentinels = [...]error{
	KindRejected:    ErrRejected,
	KindRateLimited: ErrRateLimited,
	KindAuth:        ErrAuth,
	KindNotFound:    ErrNotFound,
	KindInvalid:     ErrInvalid,
	KindTransient:   ErrTransient,
	KindUnavailable: ErrUnavailable,
}

// Error is the error every call of this package returns. It never holds the secret key, the
// admin UserSig or a URL that carries it.
type Error struct {
	// Call names what failed: the IM REST call ("group_open_http_svc/send_group_msg"), or the
	// function for failures that do not involve IM, such as "GenUserSig".
	Call string
	// Kind sorts the failure.
	Kind Kind
	// IMCode and IMInfo are the ErrorCode and ErrorInfo of IM's reply, when there was one.
	IMCode int
	IMInfo string
	// Field names the request field that broke a limit, and Detail says how, for KindInvalid
	// errors raised before any network call. Detail also explains failures without an IM reply.
	Field  string
	Detail string
	// HTTPStatus is the status of IM's reply when it was not 200.
	HTTPStatus int
	// Attempts is how many times the call was sent to IM; 0 when it was refused before sending.
	Attempts int
	// Err is the underlying cause, such as a network error or a context error.
	Err error
}

// Error describes the failure in one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("tim: ")
	if e.Call != "" {
		b.WriteString(e.Call)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if !e.writeField(&b) && e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	e.writeIMCode(&b)
	if e.IMInfo != "" {
		b.WriteString(": ")
		b.WriteString(e.IMInfo)
	}
	if e.HTTPStatus != 0 {
		b.WriteString(": HTTP ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Attempts > 1 {
		b.WriteString(" (after ")
		b.WriteString(strconv.Itoa(e.Attempts))
		b.WriteString(" attempts)")
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's Kind. ErrUnavailable also matches
// KindTransient, as both report live.EIMUnavailable.
func (e *Error) Is(target error) bool {
	if target == ErrUnavailable && e.Kind == KindTransient {
		return true
	}
	return e.Kind >= 0 && int(e.Kind) < len(kindSentinels) && kindSentinels[e.Kind] == target
}

// ErrorCode translates the failure into the stable code of package live that the HTTP layer
// maps to a status: a rate limit still hit after the retries is live.EIMRateLimited (HTTP 503);
// a transient failure, or one that lasted through the retry budget, is live.EIMUnavailable
// (502); an account or group IM does not know is live.ENotFound (404); a request that breaks
// IM's limits is live.EUnprocessable (422); IM refusing the admin credentials or a well-formed
// request (no permission, a muted sender, a callback's veto) is live.EIMRejected (502).
func (e *Error) ErrorCode() string {
	switch e.Kind {
	case KindRateLimited:
		return live.EIMRateLimited
	case KindTransient, KindUnavailable:
		return live.EIMUnavailable
	case KindNotFound:
		return live.ENotFound
	case KindInvalid:
		return live.EUnprocessable
	default: // KindAuth, KindRejected
		return live.EIMRejected
	}
}

// Temporary reports whether repeating the call later may succeed: rate limits and transient
// or unavailable failures.
func (e *Error) Temporary() bool {
	return e.Kind == KindRateLimited || e.Kind == KindTransient || e.Kind == KindUnavailable
}

// KindOf returns the Kind of the first *Error in err's chain, and false when there is none.
func KindOf(err error) (Kind, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind, true
	}
	return 0, false
}

// ErrorCodeOf returns the live code of the first *Error in err's chain (see Error.ErrorCode),
// or "" when there is none.
func ErrorCodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.ErrorCode()
	}
	return ""
}

// HasIMCode reports whether err carries the given IM ErrorCode, for callers that must tell
// apart codes of the same Kind (for example CodeGroupIDInUse among invalid requests).
func HasIMCode(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.IMCode == code
}

// ClassifyCode returns the Kind of an IM ErrorCode. Code 0 is not an error and returns
// KindRejected, as does any code not listed below.
func ClassifyCode(code int) Kind {
	switch code {
	case CodeRESTFrequency, CodeSDKAppIDFrequency, CodeTooManyRequests, CodeTooManyRequests2,
		CodeGroupFrequency, CodeMsgFrequency:
		return KindRateLimited
	case CodeBadAccountInURL, CodeBadSigInURL, CodeAdminRequired, CodeSDKAppIDInvalid,
		CodeSDKAppIDDisabled, CodeSourceIPDenied, CodeBadSignature, CodeUserSigNoKey,
		CodeUserSigNoApp, CodeUserSigRateLimited, CodeAdminRequiredMsg:
		return KindAuth
	case CodeGroupNotFound, CodeGroupIDNotFound, CodeMemberNotFound, CodeProfileNotFound,
		CodeAccountNotFound:
		return KindNotFound
	case CodeInvalidParam, CodeBadJSON, CodeGroupIDInUse, CodeGroupIDInUse2, CodeMsgTooLong,
		CodeHTTPParse, CodeJSONParse, CodeBadResource, CodeNoSDKAppID, CodeBadAccountType,
		CodeBadCommand, CodeTooManyAccounts, CodeBadOperator, CodeReplyTooLong, CodePacketTooLong:
		return KindInvalid
	case CodeInternal, CodeServiceTimeout, CodeReplyParse, CodeAccountTimeout:
		return KindTransient
	}
	switch {
	case code >= 70001 && code <= 70014:
		return KindAuth
	case code >= 90001 && code <= 90011:
		// Malformed request bodies (JSON, MsgBody, missing fields).
		return KindInvalid
	case code >= 90000 && code <= 99999:
		// Internal server errors ("please retry").
		return KindTransient
	}
	return KindRejected
}
