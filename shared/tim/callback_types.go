package tim

// Callback commands uriba handles.
const (
	CmdBeforeSendMsg      = "Group.CallbackBeforeSendMsg"
	CmdAfterSendMsg       = "Group.CallbackAfterSendMsg"
	CmdAfterNewMemberJoin = "Group.CallbackAfterNewMemberJoin"
	CmdAfterMemberExit    = "Group.CallbackAfterMemberExit"
	CmdStateChange        = "State.StateChange"
)

// Reply error codes a BeforeSendMsg callback may answer with.
const (
	CallbackPass    = 0 // deliver the message, optionally replaced
	CallbackReject  = 1 // refuse; the sender gets error 10016
	CallbackDiscard = 2 // drop silently; the sender sees success
	// CallbackCustomMin and CallbackCustomMax bound the codes that refuse a message and hand the
	// reply's ErrorCode and ErrorInfo to the sender.
	CallbackCustomMin = 10100
	CallbackCustomMax = 10200
)

// SendMsgCallback is the body of Group.CallbackBeforeSendMsg and Group.CallbackAfterSendMsg.
// MsgSeq and MsgTime are set only after the message was delivered.
type SendMsgCallback struct {
	CallbackCommand string    `json:"CallbackCommand"`
	GroupID         string    `json:"GroupId"`
	Type            string    `json:"Type"`
	FromAccount     string    `json:"From_Account"`
	OperatorAccount string    `json:"Operator_Account"`
	Random          uint32    `json:"Random"`
	OnlineOnlyFlag  int       `json:"OnlineOnlyFlag"`
	MsgBody         []MsgElem `json:"MsgBody"`
	CloudCustomData string    `json:"CloudCustomData,omitempty"`
	MsgSeq          uint64    `json:"MsgSeq,omitempty"`
	MsgTime         int64     `json:"MsgTime,omitempty"`
	EventTime       int64     `json:"EventTime"`
}

// BeforeSendMsgReply answers Group.CallbackBeforeSendMsg. A non-nil MsgBody replaces the message
// that members receive.
type BeforeSendMsgReply struct {
	Reply
	MsgBody         []MsgElem `json:"MsgBody,omitempty"`
	CloudCustomData string    `json:"CloudCustomData,omitempty"`
}

// Member names one account in a membership callback.
type Member struct {
	MemberAccount string `json:"Member_Account"`
}

// NewMemberJoinCallback is the body of Group.CallbackAfterNewMemberJoin.
type NewMemberJoinCallback struct {
	CallbackCommand string   `json:"CallbackCommand"`
	GroupID         string   `json:"GroupId"`
	Type            string   `json:"Type"`
	JoinType        string   `json:"JoinType"`
	OperatorAccount string   `json:"Operator_Account"`
	NewMemberList   []Member `json:"NewMemberList"`
	EventTime       int64    `json:"EventTime"`
}

// MemberExitCallback is the body of Group.CallbackAfterMemberExit. ExitType is "Kicked" or "Quit".
type MemberExitCallback struct {
	CallbackCommand string   `json:"CallbackCommand"`
	GroupID         string   `json:"GroupId"`
	Type            string   `json:"Type"`
	ExitType        string   `json:"ExitType"`
	OperatorAccount string   `json:"Operator_Account"`
	ExitMemberList  []Member `json:"ExitMemberList"`
	EventTime       int64    `json:"EventTime"`
}

// StateChangeCallback is the body of State.StateChange.
type StateChangeCallback struct {
	CallbackCommand string `json:"CallbackCommand"`
	EventTime       int64  `json:"EventTime"`
	Info            struct {
		Action    string `json:"Action"` // Login, Logout or Disconnect
		ToAccount string `json:"To_Account"`
		Reason    string `json:"Reason"`
	} `json:"Info"`
}
