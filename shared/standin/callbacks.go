package standin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/uriba-live/uriba/shared/tim"
)

// OptPlatform values of callbacks.
const (
	platformREST = "RESTAPI"
	platformWeb  = "Web"
)

// maxCallbackReply bounds the reply read from a callback.
const maxCallbackReply = 1 << 20

// callbackMeta describes the request that caused a callback.
type callbackMeta struct {
	clientIP string
	platform string
}

// callbackURLFor returns CallbackURL with IM's query parameters for command, signed when a
// token is configured.
func (im *IM) callbackURLFor(command string, meta callbackMeta) string {
	u := *im.callbackURL
	q := u.Query()
	q.Set("SdkAppid", strconv.Itoa(im.cfg.SDKAppID))
	q.Set("CallbackCommand", command)
	q.Set("contenttype", "json")
	q.Set("ClientIP", meta.clientIP)
	q.Set("OptPlatform", meta.platform)
	if im.cfg.CallbackToken != "" {
		requestTime := strconv.FormatInt(im.now().Unix(), 10)
		sum := sha256.Sum256([]byte(im.cfg.CallbackToken + requestTime))
		q.Set("RequestTime", requestTime)
		q.Set("Sign", hex.EncodeToString(sum[:]))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// postCallback sends one callback and returns the body of its HTTP 200 reply. It fails on a
// network error, after CallbackTimeout, or on any other status.
func (im *IM) postCallback(command string, meta callbackMeta, payload any) ([]byte, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(im.ctx, im.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, im.callbackURLFor(command, meta), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := im.client.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // the URL carries Sign: keep it out of logs
		}
		return nil, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxCallbackReply))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return reply, nil
}

// notify sends a callback whose reply does not matter, as IM sends after-callbacks: once,
// without retry.
func (im *IM) notify(command string, meta callbackMeta, payload any) {
	if _, err := im.postCallback(command, meta, payload); err != nil {
		im.log.Warn("callback failed", "command", command, "err", err)
	}
}

// What BeforeSendMsg decided.
const (
	actionDeliver = iota
	actionDiscard
	actionRefuse
)

// verdict is BeforeSendMsg's decision: deliver body and cloudCustomData, discard silently, or
// refuse with err.
type verdict struct {
	action          int
	body            []tim.MsgElem
	cloudCustomData string
	err             *imError
}

// beforeSendMsg asks the app whether o may be delivered. Like IM it fails open: when the
// callback times out, fails, or answers something unparsable, the original message is
// delivered.
func (im *IM) beforeSendMsg(o outgoing) verdict {
	pass := verdict{action: actionDeliver, body: o.body, cloudCustomData: o.cloudCustomData}
	data, err := im.postCallback(tim.CmdBeforeSendMsg, o.meta, im.sendMsgCallback(tim.CmdBeforeSendMsg, o))
	if err != nil {
		im.log.Warn("BeforeSendMsg failed; delivering the message", "group", o.groupID, "err", err)
		return pass
	}
	var reply tim.BeforeSendMsgReply
	if err := json.Unmarshal(data, &reply); err != nil {
		im.log.Warn("BeforeSendMsg reply unparsable; delivering the message", "group", o.groupID, "err", err)
		return pass
	}
	switch code := reply.ErrorCode; {
	case code == tim.CallbackPass:
		if len(reply.MsgBody) > 0 {
			pass.body = reply.MsgBody
		}
		if reply.CloudCustomData != "" {
			pass.cloudCustomData = reply.CloudCustomData
		}
		return pass
	case code == tim.CallbackDiscard:
		return verdict{action: actionDiscard}
	case code >= tim.CallbackCustomMin && code <= tim.CallbackCustomMax:
		return verdict{action: actionRefuse, err: &imError{code: code, info: reply.ErrorInfo}}
	default:
		return verdict{action: actionRefuse, err: errorf(codeCallbackRefused, "the app's BeforeSendMsg callback refused the message")}
	}
}

// sendMsgCallback returns the body of a BeforeSendMsg or AfterSendMsg callback for o.
func (im *IM) sendMsgCallback(command string, o outgoing) tim.SendMsgCallback {
	return tim.SendMsgCallback{
		CallbackCommand: command,
		GroupID:         o.groupID,
		Type:            tim.GroupTypeAVChatRoom,
		FromAccount:     o.from,
		OperatorAccount: o.operator,
		Random:          o.random,
		MsgBody:         o.body,
		CloudCustomData: o.cloudCustomData,
		EventTime:       im.now().UnixMilli(),
	}
}

// notifyMemberLocked sends, in the background, Group.CallbackAfterNewMemberJoin when user joined
// g, and Group.CallbackAfterMemberExit when user quit it.
func (im *IM) notifyMemberLocked(g *group, user string, meta callbackMeta, joined bool) {
	if !im.callbacksOn() {
		return
	}
	members, at := []tim.Member{{MemberAccount: user}}, im.now().UnixMilli()
	command, cb := tim.CmdAfterMemberExit, any(tim.MemberExitCallback{
		CallbackCommand: tim.CmdAfterMemberExit, GroupID: g.id, Type: tim.GroupTypeAVChatRoom,
		ExitType: "Quit", OperatorAccount: user, ExitMemberList: members, EventTime: at,
	})
	if joined {
		command, cb = tim.CmdAfterNewMemberJoin, tim.NewMemberJoinCallback{
			CallbackCommand: tim.CmdAfterNewMemberJoin, GroupID: g.id, Type: tim.GroupTypeAVChatRoom,
			JoinType: "Apply", OperatorAccount: user, NewMemberList: members, EventTime: at,
		}
	}
	im.goAsyncLocked(func() { im.notify(command, meta, cb) })
}
