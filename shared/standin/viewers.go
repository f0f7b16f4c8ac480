package standin

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

// maxClientBody bounds the body of a client API call.
const maxClientBody = 64 << 10

// subscriber is one viewer's open event stream on one group.
type subscriber struct {
	user   string
	group  *group
	events chan []byte
	done   chan struct{} // closed when the stand-in ends the stream
	ended  bool
}

// endStreamLocked removes s from g and ends its stream after the events already queued.
func (im *IM) endStreamLocked(g *group, s *subscriber, reason string) {
	delete(g.subs, s)
	if !s.ended {
		s.ended = true
		close(s.done)
		im.log.Debug("viewer stream ended", "group", g.id, "user", s.user, "reason", reason)
	}
}

// joinLocked makes user a member of g, with a join tip and the AfterNewMemberJoin callback. It
// reports false when user was a member already.
func (im *IM) joinLocked(g *group, user string, meta callbackMeta) bool {
	if _, member := g.members[user]; member {
		return false
	}
	g.members[user] = im.now()
	im.changedLocked()
	im.broadcastMemberTipLocked(g, user, TipMemberJoined)
	im.notifyMemberLocked(g, user, meta, true)
	return true
}

// quitLocked removes user from g: its streams on g end, the remaining members receive a quit
// tip, and the AfterMemberExit callback is sent.
func (im *IM) quitLocked(g *group, user string, meta callbackMeta) *imError {
	if _, member := g.members[user]; !member {
		return errorf(codeNoPermission, "%q is not a member of group %q", user, g.id)
	}
	delete(g.members, user)
	im.changedLocked()
	for s := range g.subs {
		if s.user == user {
			im.endStreamLocked(g, s, "quit")
		}
	}
	im.broadcastMemberTipLocked(g, user, TipMemberQuit)
	im.notifyMemberLocked(g, user, meta, false)
	return nil
}

// broadcastMemberTipLocked tells g's members that user joined or quit (operationType), with the
// user's nick and avatar as the Web SDK shows them.
func (im *IM) broadcastMemberTipLocked(g *group, user string, operationType int) {
	a := im.accounts[user]
	im.broadcastTipLocked(g, GroupTipPayload{
		OperatorID:    user,
		OperationType: operationType,
		UserIDList:    []string{user},
		MemberList:    []TipMember{{UserID: user, Nick: a.stringTag(tim.TagNick), Avatar: a.stringTag(tim.TagImage)}},
	})
}

// viewerGroup authorizes the viewer of r and, holding im.mu, runs f on the group that r's path
// names. It returns the refusal of the viewer, of the group, or f's error.
func (im *IM) viewerGroup(r *http.Request, f func(user string, g *group) *imError) *imError {
	user, e := im.authorizeViewer(r)
	if e != nil {
		return e
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	g, e := im.groupLocked(r.PathValue("groupId"))
	if e != nil {
		return e
	}
	return f(user, g)
}

// serveJoin answers POST /standin/groups/{groupId}/members: the viewer joins the group.
func (im *IM) serveJoin(w http.ResponseWriter, r *http.Request) {
	var joined bool
	if e := im.viewerGroup(r, func(user string, g *group) *imError {
		joined = im.joinLocked(g, user, viewerMeta(r))
		return nil
	}); e != nil {
		writeClientError(w, e)
		return
	}
	status := "JoinedSuccess"
	if !joined {
		status = "AlreadyInGroup"
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "status": status})
}

// serveQuit answers DELETE /standin/groups/{groupId}/members/me: the viewer quits the group.
func (im *IM) serveQuit(w http.ResponseWriter, r *http.Request) {
	if e := im.viewerGroup(r, func(user string, g *group) *imError {
		return im.quitLocked(g, user, viewerMeta(r))
	}); e != nil {
		writeClientError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// clientSend is the body of POST /standin/groups/{groupId}/messages: either text or custom.
type clientSend struct {
	Text   *string `json:"text"`
	Custom *struct {
		Data        string `json:"data"`
		Description string `json:"description"`
		Extension   string `json:"extension"`
	} `json:"custom"`
	Priority        string  `json:"priority"`
	CloudCustomData string  `json:"cloudCustomData"`
	Random          *uint32 `json:"random"` // optional; a retry with the same random is a duplicate
}

// serveSend answers POST /standin/groups/{groupId}/messages: the viewer sends a message, which
// goes through the same pipeline as a REST message from that account.
func (im *IM) serveSend(w http.ResponseWriter, r *http.Request) {
	user, e := im.authorizeViewer(r)
	if e != nil {
		writeClientError(w, e)
		return
	}
	var req clientSend
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxClientBody)).Decode(&req); err != nil {
		writeClientError(w, errorf(codeBadJSON, "the body must be a JSON object: %v", err))
		return
	}
	var el tim.MsgElem
	switch {
	case req.Text != nil && req.Custom == nil:
		el = tim.TextElem(*req.Text)
	case req.Custom != nil && req.Text == nil:
		el = tim.MsgElem{MsgType: tim.ElemCustom, MsgContent: mustJSON(tim.CustomContent{
			Data: req.Custom.Data, Desc: req.Custom.Description, Ext: req.Custom.Extension,
		})}
	default:
		writeClientError(w, errorf(codeBadParam, "the body needs either text or custom"))
		return
	}
	random := rand.Uint32()
	if req.Random != nil {
		random = *req.Random
	}
	res, e := im.send(outgoing{
		groupID:         r.PathValue("groupId"),
		from:            user,
		operator:        user,
		random:          random,
		body:            []tim.MsgElem{el},
		priority:        req.Priority,
		cloudCustomData: req.CloudCustomData,
		viewer:          true,
		meta:            viewerMeta(r),
	})
	if e != nil {
		writeClientError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "msgSeq": res.seq})
}

// serveGroupProfile answers GET /standin/groups/{groupId} with the group's profile as a
// client reads it, custom fields included.
func (im *IM) serveGroupProfile(w http.ResponseWriter, r *http.Request) {
	var p ClientGroupProfile
	if e := im.viewerGroup(r, func(_ string, g *group) *imError {
		p = ClientGroupProfile{
			GroupID:          g.id,
			Type:             tim.GroupTypeAVChatRoom,
			Name:             g.name,
			Introduction:     g.introduction,
			Notification:     g.notification,
			Avatar:           g.faceURL,
			OwnerID:          g.owner,
			CreateTime:       g.created.Unix(),
			MemberCount:      len(g.members),
			MuteAllMembers:   g.muteAll,
			GroupCustomField: make([]CustomField, 0, len(g.fields)),
		}
		for _, f := range g.fields {
			p.GroupCustomField = append(p.GroupCustomField, CustomField{Key: f.Key, Value: f.Value})
		}
		return nil
	}); e != nil {
		writeClientError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// serveEvents answers GET /standin/groups/{groupId}/events with a Server-Sent Events stream of
// the group's messages, tips and notices, each an event named "message" whose data is a
// ClientMessage. The viewer joins the group if it is not a member; closing the stream does not
// make it quit. The stream ends when the viewer quits, the group is destroyed, the stand-in
// closes, or the viewer falls subscriberBuffer events behind.
func (im *IM) serveEvents(w http.ResponseWriter, r *http.Request) {
	user, e := im.authorizeViewer(r)
	if e != nil {
		writeClientError(w, e)
		return
	}
	s := &subscriber{user: user, events: make(chan []byte, subscriberBuffer), done: make(chan struct{})}
	im.mu.Lock()
	if im.closed {
		im.mu.Unlock()
		writeClientError(w, errClosed)
		return
	}
	g, e := im.groupLocked(r.PathValue("groupId"))
	if e != nil {
		im.mu.Unlock()
		writeClientError(w, e)
		return
	}
	s.group = g
	g.subs[s] = struct{}{}
	im.joinLocked(g, user, viewerMeta(r))
	im.mu.Unlock()
	defer im.unsubscribe(s)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(chunk string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(2 * im.keepAlive))
		if _, err := io.WriteString(w, chunk); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(": connected\n\n") {
		im.log.Warn("viewer stream cannot be flushed", "group", g.id, "user", user)
		return
	}
	keepAlive := time.NewTicker(im.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case data := <-s.events:
			if !write(sseEvent(data)) {
				return
			}
		case <-keepAlive.C:
			if !write(": keep-alive\n\n") {
				return
			}
		case <-s.done:
			for {
				select {
				case data := <-s.events:
					if !write(sseEvent(data)) {
						return
					}
				default:
					return
				}
			}
		case <-r.Context().Done():
			return
		}
	}
}

// sseEvent frames data as a Server-Sent Event named "message".
func sseEvent(data []byte) string {
	return "event: message\ndata: " + string(data) + "\n\n"
}

// unsubscribe removes s from its group when the viewer goes away.
func (im *IM) unsubscribe(s *subscriber) {
	im.mu.Lock()
	defer im.mu.Unlock()
	delete(s.group.subs, s)
}

// viewerMeta describes a client API request for callbacks.
func viewerMeta(r *http.Request) callbackMeta {
	return callbackMeta{clientIP: clientIP(r), platform: platformWeb}
}

// clientError is the body of a refused client API call.
type clientError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// writeClientError answers a refused client API call with IM's code and an HTTP status that
// fits it.
func writeClientError(w http.ResponseWriter, e *imError) {
	writeJSON(w, clientStatus(e.code), clientError{Code: e.code, Message: e.info})
}

// clientStatus returns the HTTP status of a refusal with IM error code.
func clientStatus(code int) int {
	switch {
	case code >= 70001 && code <= 70014, code == codeBadAccountInURL:
		return http.StatusUnauthorized
	case code == codeGroupNotFound:
		return http.StatusNotFound
	case code == codeNotImported, code == codeNoPermission, code == codeCallbackRefused, code == codeSenderMuted,
		code >= tim.CallbackCustomMin && code <= tim.CallbackCustomMax:
		return http.StatusForbidden
	case code == codeInternal:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// withCORS lets browser pages on any origin call the client API.
func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/standin/") {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		next.ServeHTTP(w, r)
	})
}

// servePreflight answers CORS preflight requests of the client API.
func servePreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
	h.Set("Access-Control-Allow-Headers", "Authorization, X-User-Id, Content-Type")
	h.Set("Access-Control-Max-Age", fmt.Sprint(int((10 * time.Minute).Seconds())))
	w.WriteHeader(http.StatusNoContent)
}
