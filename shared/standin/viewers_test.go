package standin

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

// payloadKeys returns the keys of a JSON object.
func payloadKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestViewerStreamEndToEnd(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("alice", "Alice")
	h.must(cmdAccountImport, tim.AccountImportRequest{UserID: "bob", Nick: "Bob", FaceURL: "https://example.com/bob.png"}, nil)
	h.createGroup("room")
	alice := h.subscribe("room", "alice")

	join := alice.next(t)
	var tip GroupTipPayload
	if err := json.Unmarshal(join.Payload, &tip); err != nil || join.Type != TypeGroupTip || tip.OperationType != TipMemberJoined ||
		!slices.Equal(tip.UserIDList, []string{"alice"}) || len(tip.MemberList) != 1 || tip.MemberList[0].Nick != "Alice" {
		t.Fatalf("join tip %+v %+v", join, tip)
	}
	if v, _ := h.im.Group("room"); !slices.Equal(v.Members, []string{"alice"}) {
		t.Fatalf("members %v", v.Members)
	}

	// A text message from the REST API.
	reply := h.sendText("room", "bob", 3, "hello")
	m := alice.next(t)
	var text TextPayload
	if err := json.Unmarshal(m.Payload, &text); err != nil || text.Text != "hello" {
		t.Fatalf("payload %s", m.Payload)
	}
	if m.Type != tim.ElemText || m.ConversationID != "GROUProom" || m.ConversationType != "GROUP" || m.To != "room" || m.From != "bob" ||
		m.Flow != "in" || m.Time != reply.MsgTime || m.Priority != tim.PriorityNormal || m.Nick != "Bob" ||
		m.Avatar != "https://example.com/bob.png" || m.Sequence != 1 || m.ID == "" || m.Random != 3 {
		t.Fatalf("message %+v", m)
	}

	// A custom field change becomes a type-6 tip carrying exactly that field.
	h.must(cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", AppDefinedData: []tim.KeyValue{{Key: "ADD_GOODS", Value: `{"id":"sku-1"}`}}}, nil)
	m = alice.next(t)
	if m.Type != TypeGroupTip || m.From != "@TIM#SYSTEM" {
		t.Fatalf("profile tip %+v", m)
	}
	var profileTip struct {
		OperatorID      string          `json:"operatorID"`
		OperationType   int             `json:"operationType"`
		NewGroupProfile json.RawMessage `json:"newGroupProfile"`
	}
	if err := json.Unmarshal(m.Payload, &profileTip); err != nil || profileTip.OperationType != TipGroupProfileUpdated || profileTip.OperatorID != testAdmin {
		t.Fatalf("profile tip payload %s", m.Payload)
	}
	if keys := payloadKeys(t, profileTip.NewGroupProfile); !slices.Equal(keys, []string{"groupCustomField"}) {
		t.Fatalf("newGroupProfile carries %v, want only groupCustomField", keys)
	}
	var change GroupProfileChange
	if err := json.Unmarshal(profileTip.NewGroupProfile, &change); err != nil ||
		!slices.Equal(change.GroupCustomField, []CustomField{{Key: "ADD_GOODS", Value: `{"id":"sku-1"}`}}) {
		t.Fatalf("newGroupProfile %s", profileTip.NewGroupProfile)
	}

	// A notification change carries only the notification.
	notice := "50% off tonight"
	h.must(cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", Notification: &notice}, nil)
	m = alice.next(t)
	if err := json.Unmarshal(m.Payload, &profileTip); err != nil {
		t.Fatal(err)
	}
	if keys := payloadKeys(t, profileTip.NewGroupProfile); !slices.Equal(keys, []string{"notification"}) {
		t.Fatalf("newGroupProfile carries %v", keys)
	}

	// A system notification.
	h.must(cmdSystemNotification, tim.SystemNotificationRequest{GroupID: "room", Content: `{"type":"NEW_GIFT","msg":"rocket"}`}, nil)
	m = alice.next(t)
	var sys SystemNoticePayload
	if err := json.Unmarshal(m.Payload, &sys); err != nil || m.Type != TypeGroupSystemNotice || sys.OperationType != NoticeCustom || sys.UserDefinedField != `{"type":"NEW_GIFT","msg":"rocket"}` {
		t.Fatalf("notice %+v %s", m, m.Payload)
	}

	// A viewer who joins late reads the pinned fields from the group profile.
	h.importAccount("carol", "")
	var profile ClientGroupProfile
	if status := h.viewer(http.MethodGet, groupPath("room"), "carol", nil, &profile); status != http.StatusOK {
		t.Fatalf("HTTP %d", status)
	}
	if profile.GroupID != "room" || profile.Name != "room room" || profile.Notification != notice || profile.MemberCount != 1 ||
		profile.Type != tim.GroupTypeAVChatRoom || !slices.Equal(profile.GroupCustomField, []CustomField{{Key: "ADD_GOODS", Value: `{"id":"sku-1"}`}}) {
		t.Fatalf("profile %+v", profile)
	}
	alice.quiet(t, 50*time.Millisecond)
}

func TestViewerSendsMessages(t *testing.T) {
	h := newHarness(t).start()
	alice, bob := h.aliceAndBob("Alice")

	path := groupPath("room") + "/messages"
	var sent struct {
		OK     bool   `json:"ok"`
		MsgSeq uint64 `json:"msgSeq"`
	}
	if status := h.viewer(http.MethodPost, path, "alice", map[string]any{"text": "hi all"}, &sent); status != http.StatusOK || !sent.OK || sent.MsgSeq != 1 {
		t.Fatalf("HTTP %d %+v", status, sent)
	}
	own, other := alice.next(t), bob.next(t)
	if own.Flow != "out" || other.Flow != "in" || other.From != "alice" || other.Nick != "Alice" || other.Sequence != 1 {
		t.Fatalf("alice got %+v, bob got %+v", own, other)
	}

	like := map[string]any{"custom": map[string]string{"data": "LIKE", "description": "", "extension": `{"n":1}`}, "priority": "Low"}
	if status := h.viewer(http.MethodPost, path, "alice", like, &sent); status != http.StatusOK || sent.MsgSeq != 2 {
		t.Fatalf("HTTP %d %+v", status, sent)
	}
	m := bob.next(t)
	var custom CustomPayload
	if err := json.Unmarshal(m.Payload, &custom); err != nil || m.Type != tim.ElemCustom || m.Priority != tim.PriorityLow ||
		custom != (CustomPayload{Data: "LIKE", Description: "", Extension: `{"n":1}`}) {
		t.Fatalf("bob got %+v %s", m, m.Payload)
	}
	alice.next(t)
	if msgs := h.im.Messages("room"); len(msgs) != 2 || msgs[1].Priority != tim.PriorityLow {
		t.Fatalf("messages %+v", msgs)
	}

	// A retry with the same random is a duplicate.
	retry := map[string]any{"text": "once", "random": 99}
	h.viewer(http.MethodPost, path, "alice", retry, &sent)
	first := sent.MsgSeq
	h.viewer(http.MethodPost, path, "alice", retry, &sent)
	if sent.MsgSeq != first {
		t.Fatalf("retry got MsgSeq %d, first %d", sent.MsgSeq, first)
	}

	var refused clientError
	check := func(name string, user string, body any, wantStatus, wantCode int) {
		t.Helper()
		refused = clientError{}
		if status := h.viewer(http.MethodPost, path, user, body, &refused); status != wantStatus || refused.Code != wantCode || refused.Message == "" {
			t.Errorf("%s: HTTP %d %+v, want %d %d", name, status, refused, wantStatus, wantCode)
		}
	}
	check("neither text nor custom", "alice", map[string]any{"priority": "Low"}, http.StatusBadRequest, tim.CodeInvalidParam)
	check("bad priority", "alice", map[string]any{"text": "x", "priority": "Top"}, http.StatusBadRequest, tim.CodeInvalidParam)
	h.importAccount("dave", "")
	check("not a member", "dave", map[string]any{"text": "x"}, http.StatusForbidden, tim.CodeNoPermission)
	check("not imported", "eve", map[string]any{"text": "x"}, http.StatusForbidden, tim.CodeAccountNotFound)
	h.must(cmdForbidSendMsg, tim.ForbidSendMsgRequest{GroupID: "room", MembersAccount: []string{"bob"}, MuteTime: 60}, nil)
	check("muted", "bob", map[string]any{"text": "x"}, http.StatusForbidden, codeSenderMuted)
	on := "On"
	h.must(cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", MuteAllMember: on}, nil)
	check("all muted", "alice", map[string]any{"text": "x"}, http.StatusForbidden, codeSenderMuted)
	if status := h.viewer(http.MethodPost, groupPath("missing")+"/messages", "alice", map[string]any{"text": "x"}, &refused); status != http.StatusNotFound || refused.Code != tim.CodeGroupNotFound {
		t.Errorf("unknown group: HTTP %d %+v", status, refused)
	}
}

func TestViewerAuthentication(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("alice", "")
	h.createGroup("room")
	do := func(header map[string]string, query string) (int, clientError) {
		req, _ := http.NewRequest(http.MethodGet, h.srv.URL+groupPath("room")+query, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e clientError
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e
	}
	sig := userSig(t, "alice")
	if status, _ := do(map[string]string{"Authorization": "UserSig " + sig, "X-User-Id": "alice"}, ""); status != http.StatusOK {
		t.Fatalf("headers: HTTP %d", status)
	}
	if status, _ := do(nil, "?userId=alice&userSig="+sig); status != http.StatusOK {
		t.Fatalf("query: HTTP %d", status)
	}
	cases := []struct {
		name   string
		header map[string]string
		code   int
	}{
		{"nothing", nil, tim.CodeBadAccountInURL},
		{"no UserSig", map[string]string{"X-User-Id": "alice"}, tim.CodeUserSigEmpty},
		{"UserSig of another user", map[string]string{"Authorization": "UserSig " + userSig(t, "bob"), "X-User-Id": "alice"}, tim.CodeUserSigIDMismatch},
		{"garbage", map[string]string{"Authorization": "UserSig nonsense", "X-User-Id": "alice"}, tim.CodeUserSigInvalid},
	}
	for _, c := range cases {
		if status, e := do(c.header, ""); status != http.StatusUnauthorized || e.Code != c.code {
			t.Errorf("%s: HTTP %d %+v, want 401 %d", c.name, status, e, c.code)
		}
	}
}

func TestViewerQuits(t *testing.T) {
	h := newHarness(t).start()
	alice, bob := h.aliceAndBob("")

	if status := h.viewer(http.MethodDelete, groupPath("room")+"/members/me", "bob", nil, nil); status != http.StatusOK {
		t.Fatalf("quit: HTTP %d", status)
	}
	bob.waitEnded(t)
	m := alice.next(t)
	var tip GroupTipPayload
	if err := json.Unmarshal(m.Payload, &tip); err != nil || tip.OperationType != TipMemberQuit || !slices.Equal(tip.UserIDList, []string{"bob"}) {
		t.Fatalf("quit tip %s", m.Payload)
	}
	var refused clientError
	if status := h.viewer(http.MethodDelete, groupPath("room")+"/members/me", "bob", nil, &refused); status != http.StatusForbidden || refused.Code != tim.CodeNoPermission {
		t.Fatalf("second quit: HTTP %d %+v", status, refused)
	}
}

func TestClosingAStreamKeepsMembership(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("alice", "")
	h.createGroup("room")
	alice := h.subscribe("room", "alice")
	alice.next(t)
	alice.close()
	eventually(t, "the stream to go", func() bool { return h.im.Subscribers("room") == 0 })
	if v, _ := h.im.Group("room"); !slices.Equal(v.Members, []string{"alice"}) {
		t.Fatalf("members after disconnect: %v", v.Members)
	}
	// Reconnecting does not join again.
	again := h.subscribe("room", "alice")
	again.quiet(t, 50*time.Millisecond)
	var sent map[string]any
	h.viewer(http.MethodPost, groupPath("room")+"/members", "alice", nil, &sent)
	if sent["status"] != "AlreadyInGroup" {
		t.Fatalf("join after reconnect: %v", sent)
	}
}

func TestDestroyEndsStreams(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("alice", "")
	h.createGroup("room")
	alice := h.subscribe("room", "alice")
	alice.next(t)
	h.must(cmdDestroyGroup, tim.GroupIDRequest{GroupID: "room"}, nil)
	m := alice.next(t)
	var sys SystemNoticePayload
	if err := json.Unmarshal(m.Payload, &sys); err != nil || m.Type != TypeGroupSystemNotice || sys.OperationType != NoticeGroupDismissed {
		t.Fatalf("dismissal %+v", m)
	}
	alice.waitEnded(t)
}

func TestCloseEndsStreams(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("alice", "")
	h.createGroup("room")
	alice := h.subscribe("room", "alice")
	alice.next(t)
	h.im.Close()
	alice.waitEnded(t)
	h.im.Close() // twice is harmless
}

func TestSlowSubscriberIsDisconnected(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.GroupMessagesPerSecond = -1 }).start()
	h.importAccount("alice", "")
	h.importAccount("slow", "")
	h.createGroup("room")
	alice := h.subscribe("room", "alice")
	alice.next(t)

	// A subscriber that never reads: its buffer holds one event, already taken.
	slow := &subscriber{user: "slow", events: make(chan []byte, 1), done: make(chan struct{})}
	slow.events <- []byte("{}")
	h.im.mu.Lock()
	g := h.im.groups["room"]
	slow.group = g
	g.subs[slow] = struct{}{}
	g.members["slow"] = time.Now()
	h.im.mu.Unlock()

	done := make(chan struct{})
	go func() {
		defer close(done)
		h.sendText("room", testAdmin, 1, "to everyone")
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("delivery blocked on a slow subscriber")
	}
	if m := alice.next(t); m.Sequence != 1 {
		t.Fatalf("alice got %+v", m)
	}
	select {
	case <-slow.done:
	default:
		t.Fatal("the slow subscriber's stream was not ended")
	}
	if n := h.im.Subscribers("room"); n != 1 {
		t.Fatalf("%d subscribers, want alice only", n)
	}
}

func TestCORSPreflight(t *testing.T) {
	h := newHarness(t).start()
	req, _ := http.NewRequest(http.MethodOptions, h.srv.URL+groupPath("room")+"/messages", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		resp.Header.Get("Access-Control-Allow-Headers") == "" {
		t.Fatalf("HTTP %d %v", resp.StatusCode, resp.Header)
	}
}

func TestStreamKeepAlive(t *testing.T) {
	h := newHarness(t)
	h.im.keepAlive = 20 * time.Millisecond
	h.start()
	h.importAccount("alice", "")
	h.createGroup("room")
	q := "?userId=alice&userSig=" + userSig(t, "alice")
	resp, err := http.Get(h.srv.URL + groupPath("room") + "/events" + q)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	deadline := time.AfterFunc(2*time.Second, func() { resp.Body.Close() })
	defer deadline.Stop()
	for sc.Scan() {
		if sc.Text() == ": keep-alive" {
			return
		}
	}
	t.Fatal("no keep-alive comment")
}
