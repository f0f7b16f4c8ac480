package standin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/tim"
)

const (
	testAppID = 1400000001
	testKey   = "0123456789abcdef-test-key"
	testAdmin = "administrator"
)

// harness is a stand-in served on loopback, with a settable clock.
type harness struct {
	t        *testing.T
	im       *IM
	srv      *httptest.Server
	clock    *clock.Manual
	adminSig string
}

type option func(*Config)

func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	c := clock.NewManual(time.Now())
	cfg := Config{SDKAppID: testAppID, SecretKey: testKey, Admin: testAdmin, Now: c.Now}
	for _, o := range opts {
		o(&cfg)
	}
	im, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, im: im, clock: c, adminSig: userSig(t, testAdmin)}
	return h
}

// start serves h.im; call it after adjusting unexported settings such as im.tick.
func (h *harness) start() *harness {
	h.srv = httptest.NewServer(h.im.Handler())
	h.t.Cleanup(h.srv.Close)
	h.t.Cleanup(h.im.Close) // runs first
	return h
}

func userSig(t *testing.T, user string) string {
	t.Helper()
	sig, err := tencentyun.GenUserSig(testAppID, testKey, user, 86400)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func (h *harness) adminQuery() url.Values {
	return url.Values{
		"sdkappid":    {strconv.Itoa(testAppID)},
		"identifier":  {testAdmin},
		"usersig":     {h.adminSig},
		"random":      {"12345"},
		"contenttype": {"json"},
	}
}

// raw sends a REST request and returns the decoded envelope and the body.
func (h *harness) raw(method, command string, q url.Values, body []byte) (tim.Reply, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+"/v4/"+command+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s: HTTP %d, IM answers 200", command, resp.StatusCode)
	}
	var r tim.Reply
	if err := json.Unmarshal(data, &r); err != nil {
		h.t.Fatalf("%s: reply %q: %v", command, data, err)
	}
	if (r.ErrorCode == 0) != (r.ActionStatus == tim.StatusOK) {
		h.t.Fatalf("%s: ActionStatus %q with ErrorCode %d", command, r.ActionStatus, r.ErrorCode)
	}
	return r, data
}

// call sends a REST call as the admin, decodes the reply into reply (when not nil) and
// returns the envelope.
func (h *harness) call(command string, body any, reply any) tim.Reply {
	h.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	r, data := h.raw(http.MethodPost, command, h.adminQuery(), b)
	if reply != nil {
		if err := json.Unmarshal(data, reply); err != nil {
			h.t.Fatalf("%s: %v", command, err)
		}
	}
	return r
}

// must sends a REST call that must succeed.
func (h *harness) must(command string, body any, reply any) {
	h.t.Helper()
	if r := h.call(command, body, reply); r.ErrorCode != 0 {
		h.t.Fatalf("%s: %+v", command, r)
	}
}

// wantCode sends a REST call that must fail with code.
func (h *harness) wantCode(code int, command string, body any) {
	h.t.Helper()
	if r := h.call(command, body, nil); r.ErrorCode != code {
		h.t.Fatalf("%s %s: got %+v, want ErrorCode %d", command, mustJSON(body), r, code)
	}
}

func (h *harness) importAccount(id, nick string) {
	h.t.Helper()
	h.must(cmdAccountImport, tim.AccountImportRequest{UserID: id, Nick: nick}, nil)
}

func (h *harness) createGroup(id string, fields ...tim.KeyValue) {
	h.t.Helper()
	h.must(cmdCreateGroup, tim.CreateGroupRequest{Type: tim.GroupTypeAVChatRoom, GroupID: id, Name: "room " + id, AppDefinedData: fields}, nil)
}

func (h *harness) sendText(groupID, from string, random uint32, text string) tim.SendGroupMsgReply {
	h.t.Helper()
	var reply tim.SendGroupMsgReply
	h.call(cmdSendGroupMsg, tim.SendGroupMsgRequest{GroupID: groupID, FromAccount: from, Random: random, MsgBody: []tim.MsgElem{tim.TextElem(text)}}, &reply)
	return reply
}

// viewer sends a client API request as user and decodes the JSON answer into out.
func (h *harness) viewer(method, path, user string, body any, out any) int {
	h.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(mustJSON(body))
	}
	req, err := http.NewRequest(method, h.srv.URL+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "UserSig "+userSig(h.t, user))
	req.Header.Set("X-User-Id", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			h.t.Fatalf("%s %s: %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

func groupPath(id string) string { return "/standin/groups/" + url.PathEscape(id) }

// aliceAndBob imports alice, with the nickname aliceNick, and bob, creates the group "room" and
// subscribes alice, then bob, to it. It returns their streams, read past every join tip.
func (h *harness) aliceAndBob(aliceNick string) (alice, bob *stream) {
	h.t.Helper()
	h.importAccount("alice", aliceNick)
	h.importAccount("bob", "")
	h.createGroup("room")
	alice = h.subscribe("room", "alice")
	alice.next(h.t)
	bob = h.subscribe("room", "bob")
	bob.next(h.t)
	alice.next(h.t) // bob's join tip
	return alice, bob
}

// stream is a viewer's open event stream.
type stream struct {
	events chan ClientMessage
	ended  chan struct{}
	cancel func()
}

// subscribe opens the event stream of groupID as user, authenticated in the query as
// EventSource does.
func (h *harness) subscribe(groupID, user string) *stream {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	q := url.Values{"userId": {user}, "userSig": {userSig(h.t, user)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+groupPath(groupID)+"/events?"+q.Encode(), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		h.t.Fatalf("subscribe: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{events: make(chan ClientMessage, 1024), ended: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(s.ended)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				var m ClientMessage
				if event != "message" || json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m) != nil {
					panic("bad event: " + event + " " + line)
				}
				s.events <- m
			}
		}
	}()
	h.t.Cleanup(func() {
		cancel()
		<-s.ended
	})
	return s
}

// next returns the next event, failing after a second.
func (s *stream) next(t *testing.T) ClientMessage {
	t.Helper()
	select {
	case m := <-s.events:
		return m
	case <-s.ended:
		select {
		case m := <-s.events: // read before the stream ended
			return m
		default:
			t.Fatal("stream ended")
		}
	case <-time.After(time.Second):
		t.Fatal("no event within a second")
	}
	return ClientMessage{}
}

// close disconnects the viewer.
func (s *stream) close() {
	s.cancel()
	<-s.ended
}

// quiet fails if an event arrives within d.
func (s *stream) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-s.events:
		t.Fatalf("unexpected event %+v", m)
	case <-time.After(d):
	}
}

// waitEnded fails unless the stream ends within a second.
func (s *stream) waitEnded(t *testing.T) {
	t.Helper()
	select {
	case <-s.ended:
	case <-time.After(time.Second):
		t.Fatal("stream still open")
	}
}

// recorded is one callback the app received.
type recorded struct {
	query   url.Values
	command string
	body    []byte
}

// callbackApp is an app's callback endpoint on loopback. before answers BeforeSendMsg; nil
// passes every message.
type callbackApp struct {
	t      *testing.T
	srv    *httptest.Server
	token  string
	mu     sync.Mutex
	calls  []recorded
	before func(w http.ResponseWriter, r *http.Request, cb tim.SendMsgCallback)
}

func newCallbackApp(t *testing.T, token string) *callbackApp {
	a := &callbackApp{t: t, token: token}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *callbackApp) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	q := r.URL.Query()
	a.mu.Lock()
	a.calls = append(a.calls, recorded{query: q, command: q.Get("CallbackCommand"), body: body})
	before := a.before
	a.mu.Unlock()
	if q.Get("CallbackCommand") == tim.CmdBeforeSendMsg && before != nil {
		var cb tim.SendMsgCallback
		if err := json.Unmarshal(body, &cb); err != nil {
			a.t.Errorf("BeforeSendMsg body %q: %v", body, err)
		}
		before(w, r, cb)
		return
	}
	writeJSON(w, http.StatusOK, tim.OK)
}

func (a *callbackApp) setBefore(f func(w http.ResponseWriter, r *http.Request, cb tim.SendMsgCallback)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.before = f
}

// received returns the callbacks of command received so far.
func (a *callbackApp) received(command string) []recorded {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []recorded
	for _, c := range a.calls {
		if c.command == command {
			out = append(out, c)
		}
	}
	return out
}

// signedCorrectly verifies a callback's Sign as the app's handler would.
func (a *callbackApp) signedCorrectly(q url.Values) bool {
	sum := sha256.Sum256([]byte(a.token + q.Get("RequestTime")))
	want := hex.EncodeToString(sum[:])
	return q.Get("RequestTime") != "" && subtle.ConstantTimeCompare([]byte(want), []byte(q.Get("Sign"))) == 1
}

// settle waits for the work the test's calls have started in the stand-in's background.
func (h *harness) settle() { h.im.Settle() }

// eventually waits up to two seconds for cond. It is for what happens on the stand-in's own
// account, such as noticing that a client went away; wait for callbacks with settle.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func decodeSendMsgCallback(t *testing.T, r recorded) tim.SendMsgCallback {
	t.Helper()
	var cb tim.SendMsgCallback
	if err := json.Unmarshal(r.body, &cb); err != nil {
		t.Fatal(err)
	}
	return cb
}

func withCallbacks(a *callbackApp) option {
	return func(c *Config) {
		c.CallbackURL = a.srv.URL + "/v1/callbacks/im"
		c.CallbackToken = a.token
	}
}
