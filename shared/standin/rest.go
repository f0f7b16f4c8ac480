package standin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/uriba-live/uriba/shared/tim"
)

// REST commands, as service/command.
const (
	cmdAccountImport      = "im_open_login_svc/account_import"
	cmdCreateGroup        = "group_open_http_svc/create_group"
	cmdDestroyGroup       = "group_open_http_svc/destroy_group"
	cmdGetGroupInfo       = "group_open_http_svc/get_group_info"
	cmdModifyGroup        = "group_open_http_svc/modify_group_base_info"
	cmdSendGroupMsg       = "group_open_http_svc/send_group_msg"
	cmdSystemNotification = "group_open_http_svc/send_group_system_notification"
	cmdForbidSendMsg      = "group_open_http_svc/forbid_send_msg"
	cmdOnlineMemberNum    = "group_open_http_svc/get_online_member_num"
	cmdPortraitSet        = "profile/portrait_set"
	cmdPortraitGet        = "profile/portrait_get"
)

// maxRESTBody bounds the body of a REST call.
const maxRESTBody = 1 << 20

// restCall is one authorized REST call.
type restCall struct {
	command  string
	body     []byte
	clientIP string
}

// restHandler answers a REST call with a reply that embeds tim.Reply, or refuses it.
type restHandler func(c *restCall) (any, *imError)

func (im *IM) restHandler(command string) restHandler {
	switch command {
	case cmdAccountImport:
		return im.accountImport
	case cmdCreateGroup:
		return im.createGroup
	case cmdDestroyGroup:
		return im.destroyGroup
	case cmdGetGroupInfo:
		return im.getGroupInfo
	case cmdModifyGroup:
		return im.modifyGroup
	case cmdSendGroupMsg:
		return im.sendGroupMsg
	case cmdSystemNotification:
		return im.sendSystemNotification
	case cmdForbidSendMsg:
		return im.forbidSendMsg
	case cmdOnlineMemberNum:
		return im.onlineMemberNum
	case cmdPortraitSet:
		return im.portraitSet
	case cmdPortraitGet:
		return im.portraitGet
	}
	return nil
}

// serveREST answers /v4/{service}/{command}. Like IM it answers HTTP 200 with a reply envelope,
// checking in turn the URL's credentials, the method and body, the command, and the command's
// call frequency.
func (im *IM) serveREST(w http.ResponseWriter, r *http.Request) {
	command := r.PathValue("service") + "/" + r.PathValue("command")
	if e := im.authorizeAdmin(r); e != nil {
		im.refuseREST(w, command, e)
		return
	}
	if r.Method != http.MethodPost {
		im.refuseREST(w, command, errorf(codeBadJSON, "the REST API takes POST with a JSON body, not %s", r.Method))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRESTBody))
	if err != nil {
		im.refuseREST(w, command, errorf(codeBadJSON, "the body cannot be read: %v", err))
		return
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		im.refuseREST(w, command, errorf(codeBadJSON, "the body must be a JSON object"))
		return
	}
	handle := im.restHandler(command)
	if handle == nil {
		im.refuseREST(w, command, errorf(codeUnknownCommand, "unknown command %s", command))
		return
	}
	if !im.limits.allow(command, im.restLimit(command), im.now()) {
		im.refuseREST(w, command, errorf(codeRESTFrequency, "more than %d calls of %s in one second", im.restLimit(command), command))
		return
	}
	reply, e := handle(&restCall{command: command, body: body, clientIP: clientIP(r)})
	if e != nil {
		im.refuseREST(w, command, e)
		return
	}
	im.log.Debug("REST call", "command", command)
	writeJSON(w, http.StatusOK, reply)
}

// serveUnknownREST answers paths under /v4/ that do not name a service and a command.
func (im *IM) serveUnknownREST(w http.ResponseWriter, r *http.Request) {
	im.refuseREST(w, r.URL.Path, errorf(codeUnknownCommand, "unknown command %s", r.URL.Path))
}

func (im *IM) refuseREST(w http.ResponseWriter, command string, e *imError) {
	im.log.Info("REST call refused", "command", command, "code", e.code, "info", e.info)
	writeJSON(w, http.StatusOK, e.reply())
}

// decode unmarshals a REST body into v, refusing it with code when it does not fit.
func decode(body []byte, v any, code int) *imError {
	if err := json.Unmarshal(body, v); err != nil {
		return errorf(code, "the body does not fit the command: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorf(codeInternal, "reply cannot be encoded").reply())
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// ok is the reply of calls that answer nothing but success.
func ok() (any, *imError) { return tim.OK, nil }
