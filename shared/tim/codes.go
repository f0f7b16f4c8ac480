package tim

import "github.com/uriba-live/uriba/shared/live"

// IM error codes uriba relies on (ErrorCode in a reply envelope).
const (
	CodeInvalidParam       = 10004 // bad parameter
	CodeGroupFrequency     = 10006 // group operation frequency exceeded
	CodeNoPermission       = 10007
	CodeGroupNotFound      = 10010
	CodeGroupIDInUse       = 10021
	CodeMsgFrequency       = 10023 // message frequency exceeded
	CodeGroupIDInUse2      = 10025
	CodeBadAccountInURL    = 60004
	CodeBadSigInURL        = 60005
	CodeRESTFrequency      = 60007
	CodeAdminRequired      = 60010
	CodeSDKAppIDFrequency  = 60011
	CodeTooManyRequests    = 60018
	CodeTooManyRequests2   = 60019
	CodeUserSigExpired     = 70001
	CodeUserSigEmpty       = 70002
	CodeUserSigInvalid     = 70003
	CodeUserSigInvalid2    = 70005
	CodeUserSigWrongKey    = 70009
	CodeUserSigIDMismatch  = 70013
	CodeUserSigIDMismatch2 = 70014
	CodeAccountNotFound    = 70107 // portrait and messaging calls on an account that was never imported
	CodeMsgTooLong         = 80002
)

// Further IM error codes the client classifies (doc 34348 and the group API pages).
const (
	CodeInternal           = 10002 // internal server error, retry
	CodeBadCommand         = 10003 // unknown command
	CodeTooManyAccounts    = 10005 // too many accounts in the request
	CodeBadSignature       = 10008 // illegal request, signature check failed
	CodeBadJSON            = 10011 // request body is not valid JSON
	CodeBadOperator        = 10012 // invalid operator UserID
	CodeGroupIDNotFound    = 10015 // no group with this ID
	CodeCallbackRejected   = 10016 // the app's before-callback refused the operation
	CodeSenderMuted        = 10017 // the sender is muted
	CodeReplyTooLong       = 10018 // the reply would exceed 1 MB
	CodeMemberNotFound     = 10019 // an account named in the request does not exist
	CodeProfileNotFound    = 40003 // profile of an account that does not exist
	CodeHTTPParse          = 60002 // malformed HTTP request URL
	CodeJSONParse          = 60003 // malformed JSON body
	CodeSDKAppIDInvalid    = 60006 // SDKAppID not valid
	CodeServiceTimeout     = 60008 // IM timed out serving the request, retry
	CodeBadResource        = 60009 // wrong request path
	CodeNoSDKAppID         = 60012 // sdkappid missing from the URL
	CodeReplyParse         = 60013 // IM failed to build its reply
	CodeAccountTimeout     = 60014 // account lookup timed out
	CodeBadAccountType     = 60015 // an account is not a JSON string
	CodeSDKAppIDDisabled   = 60016
	CodeSourceIPDenied     = 60021 // the caller's IP is not allowed to use the REST API
	CodeUserSigNoKey       = 70016 // no key for this SDKAppID in this data centre
	CodeUserSigNoApp       = 70020 // SDKAppID unknown in this data centre
	CodeUserSigRateLimited = 70050 // UserSig failed and its checks are now rate limited
	CodeAdminRequiredMsg   = 90009 // messaging call needs an app admin
	CodePacketTooLong      = 93000 // JSON body too long
)

// Documented limits, checked by the client before a call and enforced by the stand-in.
const (
	MaxUserIDBytes        = live.MaxUserIDBytes // IM's UserID; its rules are live.ValidateUserID's
	MaxGroupIDBytes       = 48
	MaxGroupNameBytes     = 30
	MaxIntroductionBytes  = 240
	MaxNotificationBytes  = 300
	MaxFaceURLBytes       = 100
	MaxFieldKeyBytes      = 16
	MaxFieldValueBytes    = 512
	MaxGroupFields        = 10
	MaxMessageBytes       = 8 << 10
	MaxGroupInfoIDs       = 50
	MaxForbidMembers      = 500
	MaxProfileCustomBytes = 500
	// MaxPortraitAccounts bounds To_Account of one portrait_get call.
	MaxPortraitAccounts = 100
	// MaxProfileCustomTagLetters bounds the name after ProfileCustomTagPrefix.
	MaxProfileCustomTagLetters = 8
	// ProfileCustomTagPrefix starts the tag of an app-defined profile field.
	ProfileCustomTagPrefix = "Tag_Profile_Custom_"
	// ReservedGroupIDPrefix starts the IDs IM assigns; a custom GroupId must not start with it.
	ReservedGroupIDPrefix = "@TGS#"
)
