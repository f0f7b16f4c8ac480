package tim

import (
	"context"
	"math/rand/v2"
)

// REST calls, as service/command. They also name the call in an Error.
const (
	CallAccountImport               = "im_open_login_svc/account_import"
	CallCreateGroup                 = "group_open_http_svc/create_group"
	CallDestroyGroup                = "group_open_http_svc/destroy_group"
	CallGetGroupInfo                = "group_open_http_svc/get_group_info"
	CallModifyGroupBaseInfo         = "group_open_http_svc/modify_group_base_info"
	CallSendGroupMsg                = "group_open_http_svc/send_group_msg"
	CallSendGroupSystemNotification = "group_open_http_svc/send_group_system_notification"
	CallForbidSendMsg               = "group_open_http_svc/forbid_send_msg"
	CallGetOnlineMemberNum          = "group_open_http_svc/get_online_member_num"
	CallPortraitSet                 = "profile/portrait_set"
	CallPortraitGet                 = "profile/portrait_get"
)

// in attributes a validation error to a call.
func in(name string, err error) error {
	if e, ok := err.(*Error); ok {
		e.Call = name
	}
	return err
}

// AccountImport registers an account with IM. Importing an account twice is harmless, so the
// call is retried freely.
func (c *Client) AccountImport(ctx context.Context, req AccountImportRequest) error {
	if err := ValidateUserID(req.UserID); err != nil {
		return in(CallAccountImport, err)
	}
	_, err := call[Reply](ctx, c, CallAccountImport, true, req)
	return err
}

// CreateGroup creates a group and returns its GroupId: the one asked for, or the one IM
// assigned. Type defaults to AVChatRoom. A call without a GroupId is not repeated after a failure
// that may have created the group, since a repeat would create a second one; with a GroupId a
// repeat that finds the ID taken reports CodeGroupIDInUse (KindInvalid).
func (c *Client) CreateGroup(ctx context.Context, req CreateGroupRequest) (string, error) {
	if req.Type == "" {
		req.Type = GroupTypeAVChatRoom
	}
	if err := checkCreateGroup(req); err != nil {
		return "", in(CallCreateGroup, err)
	}
	rep, err := call[CreateGroupReply](ctx, c, CallCreateGroup, req.GroupID != "", req)
	if err != nil {
		return "", err
	}
	if rep.GroupID == "" {
		return req.GroupID, nil
	}
	return rep.GroupID, nil
}

func checkCreateGroup(req CreateGroupRequest) error {
	if req.GroupID != "" {
		if err := ValidateGroupID(req.GroupID); err != nil {
			return err
		}
	}
	if req.OwnerAccount != "" {
		if err := checkUserID("Owner_Account", req.OwnerAccount); err != nil {
			return err
		}
	}
	if req.Type == "" || !printableASCII(req.Type) {
		return invalid("Type", "%q is not a group type", req.Type)
	}
	for _, err := range []error{
		ValidateGroupName(req.Name),
		ValidateIntroduction(req.Introduction),
		ValidateNotification(req.Notification),
		ValidateFaceURL(req.FaceURL),
		ValidateFields(req.AppDefinedData),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// DestroyGroup dissolves a group, irreversibly. When an attempt that may have succeeded is
// repeated and IM then reports the group missing, the group is gone and DestroyGroup returns nil;
// on a first attempt a missing group is KindNotFound.
func (c *Client) DestroyGroup(ctx context.Context, groupID string) error {
	if err := ValidateGroupRef(groupID); err != nil {
		return in(CallDestroyGroup, err)
	}
	_, err := call[Reply](ctx, c, CallDestroyGroup, true, GroupIDRequest{GroupID: groupID})
	if e, ok := err.(*Error); ok && e.Kind == KindNotFound && e.Attempts > 1 {
		return nil
	}
	return err
}

// GetGroupInfo returns the groups asked for, in IM's order. A group that does not exist comes
// back with its own ErrorCode (CodeGroupNotFound) while the call succeeds; see GetGroup for one
// group with that turned into an error.
func (c *Client) GetGroupInfo(ctx context.Context, req GetGroupInfoRequest) ([]GroupInfo, error) {
	if n := len(req.GroupIDList); n == 0 || n > MaxGroupInfoIDs {
		return nil, in(CallGetGroupInfo, invalid("GroupIdList", "has %d groups, want 1 to %d", n, MaxGroupInfoIDs))
	}
	for _, id := range req.GroupIDList {
		if err := checkGroupRef("GroupIdList", id); err != nil {
			return nil, in(CallGetGroupInfo, err)
		}
	}
	rep, err := call[GetGroupInfoReply](ctx, c, CallGetGroupInfo, true, req)
	return rep.GroupInfo, err
}

// GetGroup returns one group with all its base information and custom fields. A group IM does
// not know is an *Error of KindNotFound.
func (c *Client) GetGroup(ctx context.Context, groupID string) (GroupInfo, error) {
	groups, err := c.GetGroupInfo(ctx, GetGroupInfoRequest{GroupIDList: []string{groupID}})
	if err != nil {
		return GroupInfo{}, err
	}
	for _, g := range groups {
		if g.GroupID != groupID && len(groups) != 1 {
			continue
		}
		if g.ErrorCode != 0 {
			return GroupInfo{}, &Error{Call: CallGetGroupInfo, Kind: ClassifyCode(g.ErrorCode),
				IMCode: g.ErrorCode, IMInfo: g.ErrorInfo, Attempts: 1}
		}
		return g, nil
	}
	return GroupInfo{}, &Error{Call: CallGetGroupInfo, Kind: KindNotFound, Detail: "group missing from the reply", Attempts: 1}
}

// ModifyGroupBaseInfo changes a group's base information and custom fields. Nil properties stay
// as they are; a custom field with an empty Value is deleted. The scenario SDK announces only the
// first changed custom field of a call, so change one field per call (see SetGroupField).
func (c *Client) ModifyGroupBaseInfo(ctx context.Context, req ModifyGroupRequest) error {
	if err := checkModifyGroup(req); err != nil {
		return in(CallModifyGroupBaseInfo, err)
	}
	_, err := call[Reply](ctx, c, CallModifyGroupBaseInfo, true, req)
	return err
}

func checkModifyGroup(req ModifyGroupRequest) error {
	if err := ValidateGroupRef(req.GroupID); err != nil {
		return err
	}
	if req.Name == nil && req.Introduction == nil && req.Notification == nil && req.FaceURL == nil &&
		req.MuteAllMember == "" && len(req.AppDefinedData) == 0 {
		return invalid("GroupId", "nothing to change")
	}
	if req.Name != nil {
		if err := ValidateGroupName(*req.Name); err != nil {
			return err
		}
	}
	if req.Introduction != nil {
		if err := ValidateIntroduction(*req.Introduction); err != nil {
			return err
		}
	}
	if req.Notification != nil {
		if err := ValidateNotification(*req.Notification); err != nil {
			return err
		}
	}
	if req.FaceURL != nil {
		if err := ValidateFaceURL(*req.FaceURL); err != nil {
			return err
		}
	}
	switch req.MuteAllMember {
	case "", "On", "Off":
	default:
		return invalid("MuteAllMember", "%q is not On or Off", req.MuteAllMember)
	}
	return ValidateFields(req.AppDefinedData)
}

// SetGroupField changes exactly one custom field of a group; an empty value deletes it. Clients
// of the scenario SDK receive the change as an event named by key.
func (c *Client) SetGroupField(ctx context.Context, groupID, key, value string) error {
	return c.ModifyGroupBaseInfo(ctx, ModifyGroupRequest{
		GroupID:        groupID,
		AppDefinedData: []KeyValue{{Key: key, Value: value}},
	})
}

// SetGroupNotification replaces a group's Notification (at most 300 bytes).
func (c *Client) SetGroupNotification(ctx context.Context, groupID, text string) error {
	return c.ModifyGroupBaseInfo(ctx, ModifyGroupRequest{GroupID: groupID, Notification: &text})
}

// SendGroupMsg sends a message to a group, from From_Account when set and from the admin
// otherwise. A zero Random is filled in; every attempt carries the same Random, so IM discards
// the repeats of a message it already delivered. When IM refuses MsgPriority "Lowest" with
// CodeInvalidParam and accepts the same message at "Low", the client sends "Low" for "Lowest"
// from then on, since whether IM's REST API takes "Lowest" is not documented.
func (c *Client) SendGroupMsg(ctx context.Context, req SendGroupMsgRequest) (SendGroupMsgReply, error) {
	if err := checkSendGroupMsg(req); err != nil {
		return SendGroupMsgReply{}, in(CallSendGroupMsg, err)
	}
	for req.Random == 0 {
		req.Random = rand.Uint32()
	}
	lowest := req.MsgPriority == PriorityLowest
	if lowest && c.noLowest.Load() {
		req.MsgPriority = PriorityLow
	}
	rep, err := call[SendGroupMsgReply](ctx, c, CallSendGroupMsg, true, req)
	if !lowest || req.MsgPriority != PriorityLowest || !HasIMCode(err, CodeInvalidParam) {
		return rep, err
	}
	// IM refused the message, so it was not delivered and a new Random cannot duplicate it.
	req.MsgPriority = PriorityLow
	req.Random = rand.Uint32() | 1
	low, lowErr := call[SendGroupMsgReply](ctx, c, CallSendGroupMsg, true, req)
	switch {
	case lowErr == nil:
		if !c.noLowest.Swap(true) {
			c.log.Info("tim: IM refused MsgPriority Lowest; sending Low instead from now on")
		}
		return low, nil
	case HasIMCode(lowErr, CodeInvalidParam):
		// The priority was not what IM objected to.
		return rep, err
	default:
		return low, lowErr
	}
}

func checkSendGroupMsg(req SendGroupMsgRequest) error {
	if err := ValidateGroupRef(req.GroupID); err != nil {
		return err
	}
	if req.FromAccount != "" {
		if err := checkUserID("From_Account", req.FromAccount); err != nil {
			return err
		}
	}
	if err := ValidatePriority(req.MsgPriority); err != nil {
		return err
	}
	return ValidateMsgBody(req.MsgBody)
}

// SendGroupSystemNotification sends a system notification to the online members of a group.
// IM does not deduplicate notifications, so an attempt that may have been delivered is not
// repeated.
func (c *Client) SendGroupSystemNotification(ctx context.Context, req SystemNotificationRequest) error {
	if err := ValidateGroupRef(req.GroupID); err != nil {
		return in(CallSendGroupSystemNotification, err)
	}
	if req.Content == "" {
		return in(CallSendGroupSystemNotification, invalid("Content", "must not be empty"))
	}
	if err := checkMaxBytes("Content", req.Content, MaxMessageBytes); err != nil {
		return in(CallSendGroupSystemNotification, err)
	}
	_, err := call[Reply](ctx, c, CallSendGroupSystemNotification, false, req)
	return err
}

// ForbidSendMsg mutes members of a group for MuteTime seconds; 0 lifts the mute.
func (c *Client) ForbidSendMsg(ctx context.Context, req ForbidSendMsgRequest) error {
	if err := ValidateGroupRef(req.GroupID); err != nil {
		return in(CallForbidSendMsg, err)
	}
	if n := len(req.MembersAccount); n == 0 || n > MaxForbidMembers {
		return in(CallForbidSendMsg, invalid("Members_Account", "has %d accounts, want 1 to %d", n, MaxForbidMembers))
	}
	for _, id := range req.MembersAccount {
		if err := checkUserID("Members_Account", id); err != nil {
			return in(CallForbidSendMsg, err)
		}
	}
	_, err := call[Reply](ctx, c, CallForbidSendMsg, true, req)
	return err
}

// GetOnlineMemberNum returns how many members of a group are online. IM refreshes the number
// about every 10 seconds.
func (c *Client) GetOnlineMemberNum(ctx context.Context, groupID string) (int, error) {
	if err := ValidateGroupRef(groupID); err != nil {
		return 0, in(CallGetOnlineMemberNum, err)
	}
	rep, err := call[OnlineMemberNumReply](ctx, c, CallGetOnlineMemberNum, true, GroupIDRequest{GroupID: groupID})
	return rep.OnlineMemberNum, err
}

// PortraitSet sets profile fields of an account, such as its level (TagLevel) or app-defined
// fields.
func (c *Client) PortraitSet(ctx context.Context, req PortraitSetRequest) error {
	if err := checkUserID("From_Account", req.FromAccount); err != nil {
		return in(CallPortraitSet, err)
	}
	if len(req.ProfileItem) == 0 {
		return in(CallPortraitSet, invalid("ProfileItem", "must hold at least one item"))
	}
	for _, item := range req.ProfileItem {
		if err := ValidateProfileItem(item); err != nil {
			return in(CallPortraitSet, err)
		}
	}
	_, err := call[Reply](ctx, c, CallPortraitSet, true, req)
	return err
}

// PortraitGet returns profile fields of up to 100 accounts. Each profile carries its own
// ResultCode; an account that does not exist may instead fail the whole call with
// CodeProfileNotFound (KindNotFound).
func (c *Client) PortraitGet(ctx context.Context, req PortraitGetRequest) ([]UserProfile, error) {
	if n := len(req.ToAccount); n == 0 || n > MaxPortraitAccounts {
		return nil, in(CallPortraitGet, invalid("To_Account", "has %d accounts, want 1 to %d", n, MaxPortraitAccounts))
	}
	for _, id := range req.ToAccount {
		if err := checkUserID("To_Account", id); err != nil {
			return nil, in(CallPortraitGet, err)
		}
	}
	if len(req.TagList) == 0 {
		return nil, in(CallPortraitGet, invalid("TagList", "must name at least one tag"))
	}
	rep, err := call[PortraitGetReply](ctx, c, CallPortraitGet, true, req)
	return rep.UserProfileItem, err
}
