package standin

import (
	"crypto/rand"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

// group is an AVChatRoom group.
type group struct {
	id           string
	name         string
	introduction string
	notification string
	faceURL      string
	owner        string
	created      time.Time
	muteAll      bool
	fields       []tim.KeyValue       // custom fields in the order they were first set
	members      map[string]time.Time // join times
	mutes        map[string]time.Time // mute expiry by member
	subs         map[*subscriber]struct{}

	seq     uint64 // MsgSeq of the last delivered message
	history []Message
	notices []Notification

	// Frequency control: messages gathered for the current tick, its timer, and the
	// deliveries of the last second.
	pending []*pendingMsg
	timer   *time.Timer
	recent  window
}

// setField sets a custom field; an empty value deletes it.
func (g *group) setField(key, value string) {
	i := slices.IndexFunc(g.fields, func(f tim.KeyValue) bool { return f.Key == key })
	switch {
	case value == "" && i >= 0:
		g.fields = slices.Delete(g.fields, i, i+1)
	case value == "":
	case i >= 0:
		g.fields[i].Value = value
	default:
		g.fields = append(g.fields, tim.KeyValue{Key: key, Value: value})
	}
}

// mutedUntil returns when member's mute ends, and false when member is not muted at now.
func (g *group) mutedUntil(member string, now time.Time) (time.Time, bool) {
	until, ok := g.mutes[member]
	if !ok {
		return time.Time{}, false
	}
	if !now.Before(until) {
		delete(g.mutes, member)
		return time.Time{}, false
	}
	return until, true
}

// createGroupRequest is create_group's body with the fields an AVChatRoom refuses.
type createGroupRequest struct {
	tim.CreateGroupRequest
	MemberList json.RawMessage `json:"MemberList"`
}

// createGroup answers group_open_http_svc/create_group for AVChatRoom groups.
func (im *IM) createGroup(c *restCall) (any, *imError) {
	var req createGroupRequest
	if e := decode(c.body, &req, codeBadJSON); e != nil {
		return nil, e
	}
	if req.Type != tim.GroupTypeAVChatRoom {
		return nil, errorf(codeBadParam, "group Type %q: the stand-in serves only %s groups", req.Type, tim.GroupTypeAVChatRoom)
	}
	if len(req.MemberList) > 0 && string(req.MemberList) != "null" {
		return nil, errorf(codeBadParam, "an AVChatRoom cannot be created with MemberList")
	}
	if req.GroupID != "" {
		if e := checkGroupID(req.GroupID); e != nil {
			return nil, e
		}
	}
	if req.Name == "" {
		return nil, errorf(codeBadParam, "Name is required")
	}
	if e := checkGroupTexts(&req.Name, &req.Introduction, &req.Notification, &req.FaceURL); e != nil {
		return nil, e
	}
	for _, f := range req.AppDefinedData {
		if e := checkField(f); e != nil {
			return nil, e
		}
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	if req.OwnerAccount != "" && im.accounts[req.OwnerAccount] == nil {
		return nil, errorf(codeNoSuchAccount, "Owner_Account %q does not exist", req.OwnerAccount)
	}
	if e := im.claimFieldKeysLocked(req.AppDefinedData); e != nil {
		return nil, e
	}
	id := req.GroupID
	if id == "" {
		id = im.newGroupIDLocked()
	} else if im.groups[id] != nil {
		return nil, errorf(codeGroupIDInUse, "GroupId %q is in use", id)
	}
	g := &group{
		id:           id,
		name:         req.Name,
		introduction: req.Introduction,
		notification: req.Notification,
		faceURL:      req.FaceURL,
		owner:        req.OwnerAccount,
		created:      im.now(),
		members:      make(map[string]time.Time),
		mutes:        make(map[string]time.Time),
		subs:         make(map[*subscriber]struct{}),
	}
	for _, f := range req.AppDefinedData {
		g.setField(f.Key, f.Value)
	}
	im.groups[id] = g
	im.changedLocked()
	im.log.Info("group created", "group", id)
	return tim.CreateGroupReply{Reply: tim.OK, GroupID: id}, nil
}

// checkGroupID applies IM's rules to a GroupId chosen by the app.
func checkGroupID(id string) *imError {
	switch {
	case len(id) > tim.MaxGroupIDBytes:
		return errorf(codeBadParam, "GroupId is longer than %d bytes", tim.MaxGroupIDBytes)
	case !printableASCII(id):
		return errorf(codeBadParam, "GroupId must be printable ASCII")
	case strings.HasPrefix(id, tim.ReservedGroupIDPrefix):
		return errorf(codeBadParam, "GroupId must not start with %s", tim.ReservedGroupIDPrefix)
	}
	return nil
}

// checkGroupTexts checks the lengths of the group properties that are given (non-nil).
func checkGroupTexts(name, introduction, notification, faceURL *string) *imError {
	limits := []struct {
		field string
		value *string
		max   int
	}{
		{"Name", name, tim.MaxGroupNameBytes},
		{"Introduction", introduction, tim.MaxIntroductionBytes},
		{"Notification", notification, tim.MaxNotificationBytes},
		{"FaceUrl", faceURL, tim.MaxFaceURLBytes},
	}
	for _, l := range limits {
		if l.value != nil && len(*l.value) > l.max {
			return errorf(codeBadParam, "%s is longer than %d bytes", l.field, l.max)
		}
	}
	return nil
}

// checkField applies IM's rules to a group custom field.
func checkField(f tim.KeyValue) *imError {
	k := f.Key
	if k == "" || len(k) > tim.MaxFieldKeyBytes || !isWord(k) || k[0] >= '0' && k[0] <= '9' {
		return errorf(codeBadParam, "AppDefinedData key %q must be 1 to %d bytes of letters, digits and _, not starting with a digit", k, tim.MaxFieldKeyBytes)
	}
	if len(f.Value) > tim.MaxFieldValueBytes {
		return errorf(codeBadParam, "AppDefinedData %s is longer than %d bytes", k, tim.MaxFieldValueBytes)
	}
	return nil
}

// claimFieldKeysLocked adds the keys of fields to the app's custom field keys. As in IM's
// console, an app has at most tim.MaxGroupFields keys and a key once used stays; the stand-in
// configures a key the first time it is used.
func (im *IM) claimFieldKeysLocked(fields []tim.KeyValue) *imError {
	keys := slices.Clone(im.fieldKeys)
	for _, f := range fields {
		if !slices.Contains(keys, f.Key) {
			keys = append(keys, f.Key)
		}
	}
	if len(keys) > tim.MaxGroupFields {
		return errorf(codeBadParam, "an app has at most %d group custom fields; %s would make %d", tim.MaxGroupFields, strings.Join(keys, ","), len(keys))
	}
	im.fieldKeys = keys
	return nil
}

// newGroupIDLocked returns an unused GroupId of the form IM assigns to an AVChatRoom:
// "@TGS#a" and nine upper-case letters or digits.
func (im *IM) newGroupIDLocked() string {
	for {
		if id := tim.ReservedGroupIDPrefix + "a" + rand.Text()[:9]; im.groups[id] == nil {
			return id
		}
	}
}

// groupLocked returns the group named id, refusing an empty or unknown id. The caller holds
// im.mu.
func (im *IM) groupLocked(id string) (*group, *imError) {
	if id == "" {
		return nil, errorf(codeBadParam, "GroupId is required")
	}
	g := im.groups[id]
	if g == nil {
		return nil, errorf(codeGroupNotFound, "group %q does not exist", id)
	}
	return g, nil
}

// withGroup answers a REST call about one group. It decodes the call's body into a request,
// which target checks and names the group of; then, holding im.mu, it runs f on that group, or
// refuses an empty or unknown group ID. A request target refuses is refused before the group is
// looked up.
func withGroup[R any](im *IM, c *restCall, target func(req *R) (groupID string, e *imError), f func(req *R, g *group) (any, *imError)) (any, *imError) {
	var req R
	if e := decode(c.body, &req, codeBadJSON); e != nil {
		return nil, e
	}
	id, e := target(&req)
	if e != nil {
		return nil, e
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	g, e := im.groupLocked(id)
	if e != nil {
		return nil, e
	}
	return f(&req, g)
}

// anyGroup is the target of a request that names a group and needs no other check.
func anyGroup(req *tim.GroupIDRequest) (string, *imError) { return req.GroupID, nil }

// destroyGroup answers group_open_http_svc/destroy_group. Members' streams receive a
// dismissal notice and end; messages waiting for frequency control are refused with 10010.
func (im *IM) destroyGroup(c *restCall) (any, *imError) {
	return withGroup(im, c, anyGroup, func(_ *tim.GroupIDRequest, g *group) (any, *imError) {
		delete(im.groups, g.id)
		im.changedLocked()
		im.abandonPendingLocked(g, errorf(codeGroupNotFound, "group %q was destroyed", g.id))
		im.broadcastNoticeLocked(g, SystemNoticePayload{OperationType: NoticeGroupDismissed, OperatorID: im.cfg.Admin})
		for s := range g.subs {
			im.endStreamLocked(g, s, "group destroyed")
		}
		im.log.Info("group destroyed", "group", g.id)
		return ok()
	})
}

// Base properties get_group_info can return, as named in GroupBaseInfoFilter.
var baseInfoNames = []string{
	"Type", "Name", "Introduction", "Notification", "FaceUrl", "Owner_Account",
	"CreateTime", "MemberNum", "MaxMemberNum", "MuteAllMember",
}

// getGroupInfo answers group_open_http_svc/get_group_info. Without ResponseFilter every
// property and custom field is returned. With it, GroupBaseInfoFilter (when not empty) picks
// base properties, and custom fields are returned only as AppDefinedDataFilter_Group names
// them.
func (im *IM) getGroupInfo(c *restCall) (any, *imError) {
	var req tim.GetGroupInfoRequest
	if e := decode(c.body, &req, codeBadJSON); e != nil {
		return nil, e
	}
	if len(req.GroupIDList) == 0 || len(req.GroupIDList) > tim.MaxGroupInfoIDs {
		return nil, errorf(codeBadParam, "GroupIdList must name 1 to %d groups", tim.MaxGroupInfoIDs)
	}
	base := baseInfoNames
	var fieldFilter []string
	allFields := true
	if f := req.ResponseFilter; f != nil {
		if len(f.GroupBaseInfoFilter) > 0 {
			base = f.GroupBaseInfoFilter
		}
		fieldFilter, allFields = f.AppDefinedDataFilterGroup, false
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	reply := tim.GetGroupInfoReply{Reply: tim.OK, GroupInfo: make([]tim.GroupInfo, 0, len(req.GroupIDList))}
	for _, id := range req.GroupIDList {
		g := im.groups[id]
		if g == nil {
			reply.GroupInfo = append(reply.GroupInfo, tim.GroupInfo{GroupID: id, ErrorCode: codeGroupNotFound, ErrorInfo: "group does not exist"})
			continue
		}
		info := tim.GroupInfo{GroupID: id}
		for _, name := range base {
			g.fillBaseInfo(&info, name)
		}
		for _, f := range g.fields {
			if allFields || slices.Contains(fieldFilter, f.Key) {
				info.AppDefinedData = append(info.AppDefinedData, f)
			}
		}
		reply.GroupInfo = append(reply.GroupInfo, info)
	}
	return reply, nil
}

func (g *group) fillBaseInfo(info *tim.GroupInfo, name string) {
	switch name {
	case "Type":
		info.Type = tim.GroupTypeAVChatRoom
	case "Name":
		info.Name = g.name
	case "Introduction":
		info.Introduction = g.introduction
	case "Notification":
		info.Notification = g.notification
	case "FaceUrl":
		info.FaceURL = g.faceURL
	case "Owner_Account":
		info.OwnerAccount = g.owner
	case "CreateTime":
		info.CreateTime = g.created.Unix()
	case "MemberNum":
		info.MemberNum = len(g.members)
	case "MuteAllMember":
		info.MuteAllMember = onOff(g.muteAll)
	}
}

func onOff(b bool) string {
	if b {
		return "On"
	}
	return "Off"
}

// modifyGroup answers group_open_http_svc/modify_group_base_info. The whole request is checked
// before anything changes; members then receive one group tip of type 6 carrying exactly the
// properties the request named.
func (im *IM) modifyGroup(c *restCall) (any, *imError) {
	return withGroup(im, c, checkModifyGroup, im.modifyGroupLocked)
}

// checkModifyGroup checks everything in a modify_group_base_info request that does not depend on
// the group.
func checkModifyGroup(req *tim.ModifyGroupRequest) (string, *imError) {
	if req.Name != nil && *req.Name == "" {
		return "", errorf(codeBadParam, "Name cannot be empty")
	}
	if e := checkGroupTexts(req.Name, req.Introduction, req.Notification, req.FaceURL); e != nil {
		return "", e
	}
	if req.MuteAllMember != "" && req.MuteAllMember != "On" && req.MuteAllMember != "Off" {
		return "", errorf(codeBadParam, "MuteAllMember must be On or Off")
	}
	for _, f := range req.AppDefinedData {
		if e := checkField(f); e != nil {
			return "", e
		}
	}
	return req.GroupID, nil
}

// modifyGroupLocked applies a checked modify_group_base_info request to g. The caller holds im.mu.
func (im *IM) modifyGroupLocked(req *tim.ModifyGroupRequest, g *group) (any, *imError) {
	if e := im.claimFieldKeysLocked(req.AppDefinedData); e != nil {
		return nil, e
	}
	var change GroupProfileChange
	if req.Name != nil {
		g.name, change.Name = *req.Name, req.Name
	}
	if req.Introduction != nil {
		g.introduction, change.Introduction = *req.Introduction, req.Introduction
	}
	if req.Notification != nil {
		g.notification, change.Notification = *req.Notification, req.Notification
	}
	if req.FaceURL != nil {
		g.faceURL, change.Avatar = *req.FaceURL, req.FaceURL
	}
	if req.MuteAllMember != "" {
		muteAll := req.MuteAllMember == "On"
		g.muteAll, change.MuteAllMembers = muteAll, &muteAll
	}
	for _, f := range req.AppDefinedData {
		g.setField(f.Key, f.Value)
		change.GroupCustomField = append(change.GroupCustomField, CustomField{Key: f.Key, Value: f.Value})
	}
	if !change.empty() {
		im.changedLocked()
		im.broadcastTipLocked(g, GroupTipPayload{
			OperatorID:      im.cfg.Admin,
			OperationType:   TipGroupProfileUpdated,
			NewGroupProfile: change,
		})
	}
	return ok()
}

// forbidSendMsg answers group_open_http_svc/forbid_send_msg: MuteTime seconds of silence for
// each account, 0 lifting it. Members receive a tip of type 7 with each account's muteTime.
func (im *IM) forbidSendMsg(c *restCall) (any, *imError) {
	check := func(req *tim.ForbidSendMsgRequest) (string, *imError) {
		if len(req.MembersAccount) == 0 || len(req.MembersAccount) > tim.MaxForbidMembers {
			return "", errorf(codeBadParam, "Members_Account must name 1 to %d accounts", tim.MaxForbidMembers)
		}
		return req.GroupID, nil
	}
	return withGroup(im, c, check, func(req *tim.ForbidSendMsgRequest, g *group) (any, *imError) {
		now := im.now()
		muteTime := int64(req.MuteTime)
		tip := GroupTipPayload{OperatorID: im.cfg.Admin, OperationType: TipMemberProfileUpdated}
		for _, id := range req.MembersAccount {
			if req.MuteTime == 0 {
				delete(g.mutes, id)
			} else {
				g.mutes[id] = now.Add(time.Duration(req.MuteTime) * time.Second)
			}
			tip.UserIDList = append(tip.UserIDList, id)
			tip.MemberList = append(tip.MemberList, TipMember{UserID: id, MuteTime: &muteTime})
		}
		im.changedLocked()
		im.broadcastTipLocked(g, tip)
		return ok()
	})
}

// onlineMemberNum answers group_open_http_svc/get_online_member_num. An AVChatRoom member is
// online until it quits, so this is the member count, without IM's 10-second refresh delay.
func (im *IM) onlineMemberNum(c *restCall) (any, *imError) {
	return withGroup(im, c, anyGroup, func(_ *tim.GroupIDRequest, g *group) (any, *imError) {
		return tim.OnlineMemberNumReply{Reply: tim.OK, OnlineMemberNum: len(g.members)}, nil
	})
}
