package standin

import (
	"fmt"

	"github.com/uriba-live/uriba/shared/tim"
)

// IM error codes the stand-in answers with, beyond those named in package tim. The numbers are
// Tencent's (doc 34348 and the pages of each call).
const (
	codeInternal        = 10002 // internal error
	codeUnknownCommand  = 10003 // the command in the URL does not exist
	codeBadJSON         = 10011 // the body is not a JSON object
	codeCallbackRefused = 10016 // the app's BeforeSendMsg callback refused the message
	codeSenderMuted     = 10017 // the sender is muted
	codeNoSuchAccount   = 10019 // an account named in a group call was never imported
	codeBadURL          = 60002 // the URL lacks a required parameter
	codeSDKAppIDInvalid = 60006 // the URL names another SDKAppID
	codeNoSDKAppID      = 60012 // the URL has no usable sdkappid
	codeProfileParam    = 40001 // a portrait call has a bad parameter
	codeProfileAccount  = 40003 // a portrait call names an account that was never imported
	codeProfileTag      = 40009 // a portrait call names an unknown tag
	codeImportParam     = 70402 // account_import has a bad parameter
)

// Codes taken from package tim, named here so that every code the stand-in uses reads alike.
const (
	codeBadParam        = tim.CodeInvalidParam
	codeNoPermission    = tim.CodeNoPermission
	codeGroupNotFound   = tim.CodeGroupNotFound
	codeGroupIDInUse    = tim.CodeGroupIDInUse
	codeBadAccountInURL = tim.CodeBadAccountInURL
	codeRESTFrequency   = tim.CodeRESTFrequency
	codeAdminRequired   = tim.CodeAdminRequired
	codeSigExpired      = tim.CodeUserSigExpired
	codeSigEmpty        = tim.CodeUserSigEmpty
	codeSigInvalid      = tim.CodeUserSigInvalid
	codeSigWrongKey     = tim.CodeUserSigWrongKey
	codeSigWrongUser    = tim.CodeUserSigIDMismatch
	codeSigWrongApp     = tim.CodeUserSigIDMismatch2
	codeNotImported     = tim.CodeAccountNotFound
	codeMsgTooLong      = tim.CodeMsgTooLong
)

// imError is a refusal with IM's ErrorCode and ErrorInfo.
type imError struct {
	code int
	info string
}

func errorf(code int, format string, args ...any) *imError {
	return &imError{code: code, info: fmt.Sprintf(format, args...)}
}

// Error returns the code and the information.
func (e *imError) Error() string { return fmt.Sprintf("IM error %d: %s", e.code, e.info) }

// reply returns e as the envelope of a failed REST call.
func (e *imError) reply() tim.Reply {
	return tim.Reply{ActionStatus: tim.StatusFail, ErrorCode: e.code, ErrorInfo: e.info}
}
