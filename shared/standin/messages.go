package standin

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

// Message is a group message IM delivered: after the BeforeSendMsg callback (with its
// replacement body, if any) and frequency control.
type Message struct {
	GroupID         string
	Seq             uint64 // MsgSeq, increasing from 1 in each group
	Time            time.Time
	From            string
	Random          uint32
	Priority        string
	Body            []tim.MsgElem
	CloudCustomData string
}

// Notification is a group system notification IM delivered.
type Notification struct {
	Time    time.Time
	Content string
}

// dropFrequency is the MsgDropReason of a message frequency control dropped.
const dropFrequency = "MsgFreqCtrl"

// ForbidCallbackControl values send_group_msg honours.
const (
	forbidBefore = "ForbidBeforeSendMsgCallback"
	forbidAfter  = "ForbidAfterSendMsgCallback"
)

// priorityRank orders priorities, highest first.
var priorityRank = map[string]int{
	tim.PriorityHigh:   0,
	tim.PriorityNormal: 1,
	tim.PriorityLow:    2,
	tim.PriorityLowest: 3,
}

// Element types IM accepts in a message body.
var elemTypes = []string{
	tim.ElemText, tim.ElemCustom, "TIMLocationElem", "TIMFaceElem", "TIMSoundElem",
	"TIMImageElem", "TIMFileElem", "TIMVideoFileElem",
}

// outgoing is a message on its way to a group, from the REST API or a viewer.
type outgoing struct {
	groupID         string
	from            string // From_Account: the sender
	operator        string // Operator_Account: who made the call
	random          uint32
	body            []tim.MsgElem
	priority        string
	cloudCustomData string
	skipBefore      bool
	skipAfter       bool
	viewer          bool // sent through the client API
	meta            callbackMeta
}

// sendResult is what the sender is told about a message it was allowed to send.
type sendResult struct {
	seq        uint64 // 0 when nothing was delivered
	time       time.Time
	dropReason string
}

// dupeKey identifies a message for duplicate detection.
type dupeKey struct {
	groupID string
	from    string
	random  uint32
}

// dupeEntry is the first message with a dupeKey. done closes once its fate is known; ok is
// then true when it succeeded, with result as its answer.
type dupeEntry struct {
	key    dupeKey
	at     time.Time
	done   chan struct{}
	ok     bool
	result sendResult
}

// checkMessage applies IM's rules to a message body.
func checkMessage(body []tim.MsgElem, cloudCustomData string) *imError {
	if len(body) == 0 {
		return errorf(codeBadParam, "MsgBody is empty")
	}
	for i, el := range body {
		if !slices.Contains(elemTypes, el.MsgType) {
			return errorf(codeBadParam, "MsgBody[%d]: unknown MsgType %q", i, el.MsgType)
		}
		var content map[string]json.RawMessage
		if json.Unmarshal(el.MsgContent, &content) != nil || content == nil {
			return errorf(codeBadParam, "MsgBody[%d]: MsgContent must be a JSON object", i)
		}
		if _, isText := el.Text(); el.MsgType == tim.ElemText && !isText {
			return errorf(codeBadParam, "MsgBody[%d]: bad TIMTextElem content", i)
		}
		if _, isCustom := el.Custom(); el.MsgType == tim.ElemCustom && !isCustom {
			return errorf(codeBadParam, "MsgBody[%d]: bad TIMCustomElem content", i)
		}
	}
	b, _ := json.Marshal(body)
	if size := len(b) + len(cloudCustomData); size > tim.MaxMessageBytes {
		return errorf(codeMsgTooLong, "the message has %d bytes, more than %d", size, tim.MaxMessageBytes)
	}
	return nil
}

// checkSender applies the group's rules to the sender of o.
func (im *IM) checkSender(o *outgoing) *imError {
	im.mu.Lock()
	defer im.mu.Unlock()
	g, e := im.groupLocked(o.groupID)
	if e != nil {
		return e
	}
	if im.accounts[o.from] == nil {
		return errorf(codeNoSuchAccount, "From_Account %q does not exist", o.from)
	}
	if _, member := g.members[o.from]; o.viewer && !member {
		return errorf(codeNoPermission, "%q is not a member of group %q", o.from, g.id)
	}
	if until, muted := g.mutedUntil(o.from, im.now()); muted {
		return errorf(codeSenderMuted, "%q is muted in group %q until %s", o.from, g.id, until.UTC().Format(time.RFC3339))
	}
	if o.viewer && g.muteAll && o.from != im.cfg.Admin {
		return errorf(codeSenderMuted, "group %q is muted", g.id)
	}
	return nil
}

// send takes a message through IM's pipeline: checks, duplicate detection, the BeforeSendMsg
// callback, frequency control and delivery. It returns once the message is delivered, dropped
// or refused.
func (im *IM) send(o outgoing) (sendResult, *imError) {
	if e := checkMessage(o.body, o.cloudCustomData); e != nil {
		return sendResult{}, e
	}
	if o.priority == "" {
		o.priority = tim.PriorityNormal
	}
	if _, known := priorityRank[o.priority]; !known {
		return sendResult{}, errorf(codeBadParam, "MsgPriority %q is not High, Normal, Low or Lowest", o.priority)
	}
	if e := im.checkSender(&o); e != nil {
		return sendResult{}, e
	}
	key := dupeKey{groupID: o.groupID, from: o.from, random: o.random}
	for {
		im.mu.Lock()
		if first := im.dupeLocked(key); first != nil {
			im.mu.Unlock()
			select {
			case <-first.done:
			case <-im.ctx.Done():
				return sendResult{}, errClosed
			}
			if first.ok {
				im.log.Debug("duplicate message ignored", "group", o.groupID, "from", o.from, "random", o.random)
				return first.result, nil
			}
			continue // the first failed: this one is sent in its place
		}
		entry := &dupeEntry{key: key, at: im.now(), done: make(chan struct{})}
		im.dupes[key] = entry
		im.dupeOrder = append(im.dupeOrder, entry)
		im.mu.Unlock()

		res, e := im.sendOnce(o)

		im.mu.Lock()
		if e != nil {
			if im.dupes[key] == entry {
				delete(im.dupes, key)
			}
		} else {
			entry.ok, entry.result = true, res
		}
		close(entry.done)
		im.mu.Unlock()
		return res, e
	}
}

// dupeLocked forgets entries older than the duplicate window and returns the entry of key,
// if any.
func (im *IM) dupeLocked(key dupeKey) *dupeEntry {
	now := im.now()
	n := 0
	for n < len(im.dupeOrder) && now.Sub(im.dupeOrder[n].at) >= duplicateWindow {
		if e := im.dupeOrder[n]; im.dupes[e.key] == e {
			delete(im.dupes, e.key)
		}
		n++
	}
	im.dupeOrder = im.dupeOrder[n:]
	return im.dupes[key]
}

// sendOnce asks the BeforeSendMsg callback, then hands the message to frequency control.
func (im *IM) sendOnce(o outgoing) (sendResult, *imError) {
	if im.callbacksOn() && !o.skipBefore {
		v := im.beforeSendMsg(o)
		switch v.action {
		case actionRefuse:
			return sendResult{}, v.err
		case actionDiscard:
			return sendResult{time: im.now()}, nil
		}
		o.body, o.cloudCustomData = v.body, v.cloudCustomData
	}
	return im.enqueue(o)
}

// sendGroupMsg answers group_open_http_svc/send_group_msg. Without From_Account the admin
// sends, and the BeforeSendMsg callback is skipped as IM skips it for the admin.
func (im *IM) sendGroupMsg(c *restCall) (any, *imError) {
	var req tim.SendGroupMsgRequest
	if e := decode(c.body, &req, codeBadJSON); e != nil {
		return nil, e
	}
	if req.GroupID == "" {
		return nil, errorf(codeBadParam, "GroupId is required")
	}
	o := outgoing{
		groupID:         req.GroupID,
		from:            req.FromAccount,
		operator:        im.cfg.Admin,
		random:          req.Random,
		body:            req.MsgBody,
		priority:        req.MsgPriority,
		cloudCustomData: req.CloudCustomData,
		skipBefore:      req.FromAccount == "" || slices.Contains(req.ForbidCallbackControl, forbidBefore),
		skipAfter:       slices.Contains(req.ForbidCallbackControl, forbidAfter),
		meta:            callbackMeta{clientIP: c.clientIP, platform: platformREST},
	}
	if o.from == "" {
		o.from = im.cfg.Admin
	}
	res, e := im.send(o)
	if e != nil {
		return nil, e
	}
	return tim.SendGroupMsgReply{Reply: tim.OK, MsgTime: res.time.Unix(), MsgSeq: res.seq, MsgDropReason: res.dropReason}, nil
}

// systemNotificationRequest is send_group_system_notification's body with the field an
// AVChatRoom refuses.
type systemNotificationRequest struct {
	tim.SystemNotificationRequest
	ToMembersAccount []string `json:"ToMembers_Account"`
}

// sendSystemNotification answers group_open_http_svc/send_group_system_notification: every
// member with an open stream receives it at once, outside frequency control.
func (im *IM) sendSystemNotification(c *restCall) (any, *imError) {
	check := func(req *systemNotificationRequest) (string, *imError) {
		if len(req.ToMembersAccount) > 0 {
			return "", errorf(codeBadParam, "an AVChatRoom notification goes to all members; ToMembers_Account is not allowed")
		}
		if req.Content == "" {
			return "", errorf(codeBadParam, "Content is required")
		}
		if len(req.Content) > tim.MaxMessageBytes {
			return "", errorf(codeMsgTooLong, "Content is longer than %d bytes", tim.MaxMessageBytes)
		}
		return req.GroupID, nil
	}
	return withGroup(im, c, check, func(req *systemNotificationRequest, g *group) (any, *imError) {
		g.notices = append(g.notices, Notification{Time: im.now(), Content: req.Content})
		im.broadcastNoticeLocked(g, SystemNoticePayload{OperationType: NoticeCustom, UserDefinedField: req.Content})
		return ok()
	})
}
