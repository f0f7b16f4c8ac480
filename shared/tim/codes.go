package tim

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

// Documented limits, checked by the client before a call and enforced by the stand-in.
const (
	MaxUserIDBytes        = 32
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
	// ReservedGroupIDPrefix starts the IDs IM assigns; a custom GroupId must not start with it.
	ReservedGroupIDPrefix = "@TGS#"
)
