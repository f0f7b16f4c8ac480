package standin

import (
	"encoding/json"
	"fmt"

	"github.com/uriba-live/uriba/shared/tim"
)

// Message types of client messages beyond tim.ElemText and tim.ElemCustom.
const (
	TypeGroupTip          = "TIMGroupTipElem"
	TypeGroupSystemNotice = "TIMGroupSystemNoticeElem"
)

// Group tip operation types (GroupTipPayload.OperationType), as in Tencent's Web SDK.
const (
	TipMemberJoined         = 1
	TipMemberQuit           = 2
	TipGroupProfileUpdated  = 6
	TipMemberProfileUpdated = 7 // a member was muted or unmuted
)

// Group system notice operation types (SystemNoticePayload.OperationType).
const (
	NoticeGroupDismissed = 5
	NoticeCustom         = 255 // send_group_system_notification
)

// systemSender is the From of group tips and system notices.
const systemSender = "@TIM#SYSTEM"

// ClientMessage is one event of a viewer's stream: a message object in the shape Tencent's Web
// SDK hands to apps.
type ClientMessage struct {
	ID               string          `json:"ID"`
	Type             string          `json:"type"`
	Payload          json.RawMessage `json:"payload"`
	ConversationID   string          `json:"conversationID"`   // "GROUP" + the GroupId
	ConversationType string          `json:"conversationType"` // "GROUP"
	To               string          `json:"to"`               // the GroupId
	From             string          `json:"from"`
	Flow             string          `json:"flow"` // "out" on the sender's own streams, "in" elsewhere
	Time             int64           `json:"time"` // seconds
	Priority         string          `json:"priority"`
	Nick             string          `json:"nick"`
	Avatar           string          `json:"avatar"`
	CloudCustomData  string          `json:"cloudCustomData"`
	Sequence         uint64          `json:"sequence"` // MsgSeq; 0 for tips and notices
	Random           uint32          `json:"random"`
}

// TextPayload is the payload of a TIMTextElem message.
type TextPayload struct {
	Text string `json:"text"`
}

// CustomPayload is the payload of a TIMCustomElem message.
type CustomPayload struct {
	Data        string `json:"data"`
	Description string `json:"description"`
	Extension   string `json:"extension"`
}

// GroupTipPayload is the payload of a TIMGroupTipElem message.
type GroupTipPayload struct {
	OperatorID      string             `json:"operatorID"`
	OperationType   int                `json:"operationType"`
	UserIDList      []string           `json:"userIDList"`
	NewGroupProfile GroupProfileChange `json:"newGroupProfile"`
	MemberList      []TipMember        `json:"memberList"`
}

// GroupProfileChange holds exactly the group properties a profile update named; it is empty in
// tips of other types.
type GroupProfileChange struct {
	Name             *string       `json:"name,omitempty"`
	Introduction     *string       `json:"introduction,omitempty"`
	Notification     *string       `json:"notification,omitempty"`
	Avatar           *string       `json:"avatar,omitempty"`
	MuteAllMembers   *bool         `json:"muteAllMembers,omitempty"`
	GroupCustomField []CustomField `json:"groupCustomField,omitempty"`
}

func (c GroupProfileChange) empty() bool {
	return c.Name == nil && c.Introduction == nil && c.Notification == nil && c.Avatar == nil &&
		c.MuteAllMembers == nil && len(c.GroupCustomField) == 0
}

// CustomField is a group custom field as clients see it. An empty Value in a tip means the
// field was deleted.
type CustomField struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TipMember is a member named by a group tip: with nick and avatar when it joined or quit, with
// muteTime (seconds, 0 for unmuted) when it was muted.
type TipMember struct {
	UserID   string `json:"userID"`
	Nick     string `json:"nick,omitempty"`
	Avatar   string `json:"avatar,omitempty"`
	MuteTime *int64 `json:"muteTime,omitempty"`
}

// SystemNoticePayload is the payload of a TIMGroupSystemNoticeElem message.
type SystemNoticePayload struct {
	OperationType    int    `json:"operationType"`
	OperatorID       string `json:"operatorID,omitempty"`
	UserDefinedField string `json:"userDefinedField"`
}

// ClientGroupProfile is a group's profile as a member reads it.
type ClientGroupProfile struct {
	GroupID          string        `json:"groupID"`
	Type             string        `json:"type"`
	Name             string        `json:"name"`
	Introduction     string        `json:"introduction"`
	Notification     string        `json:"notification"`
	Avatar           string        `json:"avatar"`
	OwnerID          string        `json:"ownerID"`
	CreateTime       int64         `json:"createTime"`
	MemberCount      int           `json:"memberCount"`
	MuteAllMembers   bool          `json:"muteAllMembers"`
	GroupCustomField []CustomField `json:"groupCustomField"`
}

// clientPayload converts the first element of a message body to a client message type and
// payload. Element types other than text and custom keep IM's MsgContent as payload.
func clientPayload(body []tim.MsgElem) (string, any) {
	el := body[0]
	if text, ok := el.Text(); ok {
		return el.MsgType, TextPayload{Text: text}
	}
	if c, ok := el.Custom(); ok {
		return el.MsgType, CustomPayload{Data: c.Data, Description: c.Desc, Extension: c.Ext}
	}
	return el.MsgType, el.MsgContent
}

// fanoutMessageLocked sends a delivered message to the streams of g's members.
func (im *IM) fanoutMessageLocked(g *group, m Message) {
	if len(g.subs) == 0 {
		return
	}
	typ, payload := clientPayload(m.Body)
	sender := im.accounts[m.From]
	cm := ClientMessage{
		ID:              fmt.Sprintf("%s-%d-%d", m.From, m.Time.Unix(), m.Random),
		Type:            typ,
		Payload:         mustJSON(payload),
		From:            m.From,
		Time:            m.Time.Unix(),
		Priority:        m.Priority,
		Nick:            sender.stringTag(tim.TagNick),
		Avatar:          sender.stringTag(tim.TagImage),
		CloudCustomData: m.CloudCustomData,
		Sequence:        m.Seq,
		Random:          m.Random,
	}
	var in, out []byte
	for s := range g.subs {
		if s.user == m.From {
			if out == nil {
				out = im.encodeClientMessage(g, cm, "out")
			}
			im.pushLocked(g, s, out)
			continue
		}
		if in == nil {
			in = im.encodeClientMessage(g, cm, "in")
		}
		im.pushLocked(g, s, in)
	}
}

// broadcastTipLocked sends a group tip to the streams of g's members.
func (im *IM) broadcastTipLocked(g *group, tip GroupTipPayload) {
	if tip.UserIDList == nil {
		tip.UserIDList = []string{}
	}
	if tip.MemberList == nil {
		tip.MemberList = []TipMember{}
	}
	im.broadcastSystemLocked(g, TypeGroupTip, tip)
}

// broadcastNoticeLocked sends a group system notice to the streams of g's members.
func (im *IM) broadcastNoticeLocked(g *group, notice SystemNoticePayload) {
	im.broadcastSystemLocked(g, TypeGroupSystemNotice, notice)
}

// broadcastSystemLocked sends a message from IM itself to the streams of g's members.
func (im *IM) broadcastSystemLocked(g *group, typ string, payload any) {
	if len(g.subs) == 0 {
		return
	}
	now := im.now()
	im.serial++
	cm := ClientMessage{
		ID:       fmt.Sprintf("%s-%d-%d", systemSender, now.Unix(), im.serial),
		Type:     typ,
		Payload:  mustJSON(payload),
		From:     systemSender,
		Time:     now.Unix(),
		Priority: tim.PriorityNormal,
	}
	data := im.encodeClientMessage(g, cm, "in")
	for s := range g.subs {
		im.pushLocked(g, s, data)
	}
}

// encodeClientMessage completes cm for a stream of g and encodes it.
func (im *IM) encodeClientMessage(g *group, cm ClientMessage, flow string) []byte {
	cm.ConversationID = "GROUP" + g.id
	cm.ConversationType = "GROUP"
	cm.To = g.id
	cm.Flow = flow
	return mustJSON(cm)
}

// pushLocked queues data on s without waiting. A stream whose buffer is full is too slow: it is
// ended, and its viewer must reconnect.
func (im *IM) pushLocked(g *group, s *subscriber, data []byte) {
	select {
	case s.events <- data:
	default:
		im.log.Warn("viewer stream too slow; ending it", "group", g.id, "user", s.user)
		im.endStreamLocked(g, s, "too slow")
	}
}

// mustJSON encodes values whose types always encode.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("standin: encoding %T: %v", v, err))
	}
	return b
}
