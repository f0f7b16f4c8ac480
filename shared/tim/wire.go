package tim

import (
	"encoding/json"
	"strconv"
)

// ActionStatus values of IM's reply envelope.
const (
	StatusOK   = "OK"
	StatusFail = "FAIL"
)

// GroupTypeAVChatRoom is the group type of a live room.
const GroupTypeAVChatRoom = "AVChatRoom"

// Message element types.
const (
	ElemText   = "TIMTextElem"
	ElemCustom = "TIMCustomElem"
)

// Message priorities accepted by send_group_msg.
const (
	PriorityHigh   = "High"
	PriorityNormal = "Normal"
	PriorityLow    = "Low"
	PriorityLowest = "Lowest"
)

// Reply is the envelope of every IM REST reply and of every callback reply.
type Reply struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorCode    int    `json:"ErrorCode"`
	ErrorInfo    string `json:"ErrorInfo"`
}

// OK is the reply that accepts a callback or reports a successful call.
var OK = Reply{ActionStatus: StatusOK}

// MsgElem is one element of a message body. MsgContent holds TextContent or CustomContent; it is
// kept raw on decoding so that unknown element types pass through unchanged.
type MsgElem struct {
	MsgType    string          `json:"MsgType"`
	MsgContent json.RawMessage `json:"MsgContent"`
}

// TextContent is the content of a TIMTextElem.
type TextContent struct {
	Text string `json:"Text"`
}

// CustomContent is the content of a TIMCustomElem. Live rooms put the event name in Data and its
// JSON payload in Ext.
type CustomContent struct {
	Data  string `json:"Data"`
	Desc  string `json:"Desc"`
	Ext   string `json:"Ext"`
	Sound string `json:"Sound,omitempty"`
}

// TextElem returns a text element.
func TextElem(text string) MsgElem {
	b, _ := json.Marshal(TextContent{Text: text})
	return MsgElem{MsgType: ElemText, MsgContent: b}
}

// CustomElem returns a custom element carrying an event name and its payload.
func CustomElem(data, ext string) MsgElem {
	b, _ := json.Marshal(CustomContent{Data: data, Ext: ext})
	return MsgElem{MsgType: ElemCustom, MsgContent: b}
}

// Text decodes the content of a text element; ok is false for any other element.
func (e MsgElem) Text() (text string, ok bool) {
	if e.MsgType != ElemText {
		return "", false
	}
	var c TextContent
	if json.Unmarshal(e.MsgContent, &c) != nil {
		return "", false
	}
	return c.Text, true
}

// Custom decodes the content of a custom element; ok is false for any other element.
func (e MsgElem) Custom() (c CustomContent, ok bool) {
	if e.MsgType != ElemCustom {
		return c, false
	}
	if json.Unmarshal(e.MsgContent, &c) != nil {
		return c, false
	}
	return c, true
}

// KeyValue is one entry of AppDefinedData (a group custom field) or of similar lists.
type KeyValue struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// AccountImportRequest is the body of im_open_login_svc/account_import.
type AccountImportRequest struct {
	UserID  string `json:"UserID"`
	Nick    string `json:"Nick,omitempty"`
	FaceURL string `json:"FaceUrl,omitempty"`
}

// CreateGroupRequest is the body of group_open_http_svc/create_group.
type CreateGroupRequest struct {
	OwnerAccount   string     `json:"Owner_Account,omitempty"`
	Type           string     `json:"Type"`
	GroupID        string     `json:"GroupId,omitempty"`
	Name           string     `json:"Name"`
	Introduction   string     `json:"Introduction,omitempty"`
	Notification   string     `json:"Notification,omitempty"`
	FaceURL        string     `json:"FaceUrl,omitempty"`
	AppDefinedData []KeyValue `json:"AppDefinedData,omitempty"`
}

// CreateGroupReply is the reply of create_group.
type CreateGroupReply struct {
	Reply
	GroupID string `json:"GroupId"`
}

// GroupIDRequest is the body of calls that name one group: destroy_group, get_online_member_num.
type GroupIDRequest struct {
	GroupID string `json:"GroupId"`
}

// ModifyGroupRequest is the body of group_open_http_svc/modify_group_base_info. Nil pointers leave
// a property unchanged; a custom field with an empty Value is deleted.
type ModifyGroupRequest struct {
	GroupID        string     `json:"GroupId"`
	Name           *string    `json:"Name,omitempty"`
	Introduction   *string    `json:"Introduction,omitempty"`
	Notification   *string    `json:"Notification,omitempty"`
	FaceURL        *string    `json:"FaceUrl,omitempty"`
	MuteAllMember  string     `json:"MuteAllMember,omitempty"`
	AppDefinedData []KeyValue `json:"AppDefinedData,omitempty"`
}

// SendGroupMsgRequest is the body of group_open_http_svc/send_group_msg.
type SendGroupMsgRequest struct {
	GroupID               string    `json:"GroupId"`
	Random                uint32    `json:"Random"`
	MsgBody               []MsgElem `json:"MsgBody"`
	FromAccount           string    `json:"From_Account,omitempty"`
	MsgPriority           string    `json:"MsgPriority,omitempty"`
	CloudCustomData       string    `json:"CloudCustomData,omitempty"`
	ForbidCallbackControl []string  `json:"ForbidCallbackControl,omitempty"`
	SendMsgControl        []string  `json:"SendMsgControl,omitempty"`
}

// SendGroupMsgReply is the reply of send_group_msg.
type SendGroupMsgReply struct {
	Reply
	MsgTime       int64  `json:"MsgTime"`
	MsgSeq        uint64 `json:"MsgSeq"`
	MsgDropReason string `json:"MsgDropReason,omitempty"`
}

// SystemNotificationRequest is the body of group_open_http_svc/send_group_system_notification.
type SystemNotificationRequest struct {
	GroupID string `json:"GroupId"`
	Content string `json:"Content"`
}

// GetGroupInfoRequest is the body of group_open_http_svc/get_group_info.
type GetGroupInfoRequest struct {
	GroupIDList    []string        `json:"GroupIdList"`
	ResponseFilter *ResponseFilter `json:"ResponseFilter,omitempty"`
}

// ResponseFilter narrows what get_group_info returns.
type ResponseFilter struct {
	GroupBaseInfoFilter       []string `json:"GroupBaseInfoFilter,omitempty"`
	AppDefinedDataFilterGroup []string `json:"AppDefinedDataFilter_Group,omitempty"`
}

// GetGroupInfoReply is the reply of get_group_info.
type GetGroupInfoReply struct {
	Reply
	GroupInfo []GroupInfo `json:"GroupInfo"`
}

// GroupInfo is one group in a get_group_info reply. ErrorCode is set per group (10010 for a group
// that does not exist) while the envelope stays OK.
type GroupInfo struct {
	GroupID        string     `json:"GroupId"`
	ErrorCode      int        `json:"ErrorCode"`
	ErrorInfo      string     `json:"ErrorInfo,omitempty"`
	Type           string     `json:"Type,omitempty"`
	Name           string     `json:"Name,omitempty"`
	Introduction   string     `json:"Introduction,omitempty"`
	Notification   string     `json:"Notification,omitempty"`
	FaceURL        string     `json:"FaceUrl,omitempty"`
	OwnerAccount   string     `json:"Owner_Account,omitempty"`
	CreateTime     int64      `json:"CreateTime,omitempty"`
	MemberNum      int        `json:"MemberNum,omitempty"`
	MaxMemberNum   int        `json:"MaxMemberNum,omitempty"`
	MuteAllMember  string     `json:"MuteAllMember,omitempty"`
	AppDefinedData []KeyValue `json:"AppDefinedData,omitempty"`
}

// ForbidSendMsgRequest is the body of group_open_http_svc/forbid_send_msg. MuteTime is in seconds;
// 0 lifts the mute.
type ForbidSendMsgRequest struct {
	GroupID        string   `json:"GroupId"`
	MembersAccount []string `json:"Members_Account"`
	MuteTime       uint32   `json:"MuteTime"`
}

// OnlineMemberNumReply is the reply of get_online_member_num.
type OnlineMemberNumReply struct {
	Reply
	OnlineMemberNum int `json:"OnlineMemberNum"`
}

// ProfileItem is one profile field. Value is a string for string tags and a number for
// Tag_Profile_IM_Level and other integer tags.
type ProfileItem struct {
	Tag   string          `json:"Tag"`
	Value json.RawMessage `json:"Value"`
}

// Profile tags uriba uses.
const (
	TagLevel = "Tag_Profile_IM_Level"
	TagNick  = "Tag_Profile_IM_Nick"
	TagImage = "Tag_Profile_IM_Image"
)

// PortraitSetRequest is the body of profile/portrait_set.
type PortraitSetRequest struct {
	FromAccount string        `json:"From_Account"`
	ProfileItem []ProfileItem `json:"ProfileItem"`
}

// PortraitGetRequest is the body of profile/portrait_get.
type PortraitGetRequest struct {
	ToAccount []string `json:"To_Account"`
	TagList   []string `json:"TagList"`
}

// PortraitGetReply is the reply of profile/portrait_get.
type PortraitGetReply struct {
	Reply
	UserProfileItem []UserProfile `json:"UserProfileItem"`
}

// UserProfile is one account's profile in a portrait_get reply.
type UserProfile struct {
	ToAccount   string        `json:"To_Account"`
	ProfileItem []ProfileItem `json:"ProfileItem"`
	ResultCode  int           `json:"ResultCode"`
	ResultInfo  string        `json:"ResultInfo"`
}

// StringProfileItem returns a profile item with a string value, such as a nickname or an
// app-defined field.
func StringProfileItem(tag, value string) ProfileItem {
	b, _ := json.Marshal(value)
	return ProfileItem{Tag: tag, Value: b}
}

// IntProfileItem returns a profile item with an integer value, such as TagLevel.
func IntProfileItem(tag string, value int64) ProfileItem {
	return ProfileItem{Tag: tag, Value: strconv.AppendInt(nil, value, 10)}
}

// StringValue decodes a string value; ok is false for any other value.
func (p ProfileItem) StringValue() (s string, ok bool) {
	if err := json.Unmarshal(p.Value, &s); err != nil {
		return "", false
	}
	return s, true
}

// IntValue decodes an integer value; ok is false for any other value.
func (p ProfileItem) IntValue() (n int64, ok bool) {
	if err := json.Unmarshal(p.Value, &n); err != nil {
		return 0, false
	}
	return n, true
}
