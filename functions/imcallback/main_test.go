package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/function/imcallback"
	callbacks "github.com/uriba-live/uriba/shared/imcallback"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/moderation"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store/bolt"
	"github.com/uriba-live/uriba/shared/tim"
)

const (
	appID = functiontest.AppID
	token = functiontest.CallbackToken
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testEnv is the function's environment on a laptop: the IM app, the callback token and a bolt
// store; the callback calls no IM API.
func testEnv(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"IM_SDKAPPID":       fmt.Sprint(appID),
		"IM_ADMIN":          "administrator",
		"IM_CALLBACK_TOKEN": token,
		"STORE":             "bolt:" + filepath.Join(t.TempDir(), "uriba.db"),
	}
}

func newFunction(env map[string]string) (platform.Function, func(), error) {
	return functiontest.Try(imcallback.Definition, func(k string) string { return env[k] }, true)
}

func newTestFunction(t *testing.T, env map[string]string) (platform.Function, func()) {
	t.Helper()
	fn, release, err := newFunction(env)
	if err != nil {
		t.Fatal(err)
	}
	return fn, release
}

// event returns a Lambda function URL event carrying a callback signed now.
func event(t *testing.T, command string, body any) json.RawMessage {
	t.Helper()
	return eventSignedWith(t, token, command, body)
}

func eventSignedWith(t *testing.T, token, command string, body any) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "callback-lambda-url.json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(body)
	asString, _ := json.Marshal(string(raw))
	sign, reqTime := tim.SignCallback(token, time.Now())
	r := strings.NewReplacer("{{COMMAND}}", command, "{{TIME}}", reqTime, "{{SIGN}}", sign, "{{BODY}}", string(asString))
	return json.RawMessage(r.Replace(string(b)))
}

type imReply struct {
	StatusCode int `json:"statusCode"`
	Reply      tim.BeforeSendMsgReply
}

func invoke(t *testing.T, h platform.EventHandler, ev json.RawMessage) imReply {
	t.Helper()
	r := functiontest.Invoke(t, h, ev)
	got := imReply{StatusCode: r.StatusCode}
	if err := json.Unmarshal([]byte(r.Body), &got.Reply); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return got
}

func message(from string, elems ...tim.MsgElem) tim.SendMsgCallback {
	return tim.SendMsgCallback{CallbackCommand: tim.CmdBeforeSendMsg, GroupID: "room-1", Type: tim.GroupTypeAVChatRoom,
		FromAccount: from, OperatorAccount: from, Random: 9, MsgBody: elems, EventTime: time.Now().UnixMilli()}
}

func TestCallbacksThroughLambdaFunctionURL(t *testing.T) {
	env := testEnv(t)
	fn, release := newTestFunction(t, env)
	h := platform.LambdaHandler(fn)

	r := invoke(t, h, event(t, tim.CmdBeforeSendMsg, message("mei", tim.TextElem("私下交易 please"))))
	if r.StatusCode != 200 || r.Reply.ErrorCode != callbacks.CodeModerated {
		t.Fatalf("banned text with the built-in list: %+v", r)
	}
	r = invoke(t, h, event(t, tim.CmdBeforeSendMsg, message("mei", tim.CustomElem("SEND_GIFT", `{"giftId":"rocket"}`))))
	if r.Reply.ErrorCode != callbacks.CodeServerOnly {
		t.Fatalf("forged gift: %+v", r)
	}
	r = invoke(t, h, event(t, tim.CmdBeforeSendMsg, message("mei", tim.CustomElem("LIKE", `{"count":4}`))))
	if r.StatusCode != 200 || r.Reply.ErrorCode != 0 {
		t.Fatalf("like: %+v", r)
	}
	join := tim.NewMemberJoinCallback{CallbackCommand: tim.CmdAfterNewMemberJoin, GroupID: "room-1", NewMemberList: []tim.Member{{MemberAccount: "mei"}}}
	if r := invoke(t, h, event(t, tim.CmdAfterNewMemberJoin, join)); r.StatusCode != 200 {
		t.Fatalf("join: %+v", r)
	}

	forged := eventSignedWith(t, "guessed-token", tim.CmdBeforeSendMsg, message("mei", tim.CustomElem("LIKE", `{"count":50}`)))
	if r := invoke(t, h, forged); r.StatusCode != http.StatusUnauthorized || r.Reply.ActionStatus != tim.StatusFail {
		t.Fatalf("a bad signature: %+v", r)
	}

	release()
	db, err := bolt.Open(strings.TrimPrefix(env["STORE"], "bolt:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts, err := roomstats.New(db, 0).Get(context.Background(), "room-1")
	if err != nil {
		t.Fatal(err)
	}
	if counts != (roomstats.Counts{Likes: 4, Viewers: 1, PeakViewers: 1}) {
		t.Fatalf("counts in the store %+v", counts)
	}
}

func TestAWordListFileAndModes(t *testing.T) {
	env := testEnv(t)
	words := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(words, []byte("# shop rules\nfakegoods\n!fakegoodsbusters\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env["MODERATION_WORDS_FILE"] = words
	env["MODERATION_MODE"] = "mask"
	env["LIKE_MODE"] = "absorb"
	fn, release := newTestFunction(t, env)
	defer release()
	h := platform.LambdaHandler(fn)

	r := invoke(t, h, event(t, tim.CmdBeforeSendMsg, message("mei", tim.TextElem("real or FakeGoods?"))))
	if len(r.Reply.MsgBody) != 1 {
		t.Fatalf("mask mode: %+v", r)
	}
	if text, _ := r.Reply.MsgBody[0].Text(); text != "real or *********?" {
		t.Fatalf("masked text %q", text)
	}
	r = invoke(t, h, event(t, tim.CmdBeforeSendMsg, message("mei", tim.TextElem("私下交易"))))
	if r.Reply.ErrorCode != 0 || r.Reply.MsgBody != nil {
		t.Fatalf("a word only the built-in list bans: %+v", r)
	}
	r = invoke(t, h, event(t, tim.CmdBeforeSendMsg, message("mei", tim.CustomElem("LIKE", ""))))
	if r.Reply.ErrorCode != tim.CallbackDiscard {
		t.Fatalf("absorbed like: %+v", r)
	}
}

func TestConfigurationProblemsAreReportedTogether(t *testing.T) {
	_, _, err := newFunction(map[string]string{})
	if err == nil {
		t.Fatal("started without configuration")
	}
	for _, name := range []string{"IM_SDKAPPID", "STORE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}

	env := testEnv(t)
	for k, v := range map[string]string{
		"MODERATION_MODE": "shout", "MODERATION_CUSTOM": "maybe", "LIKE_MODE": "double",
		"CALLBACK_IO_BUDGET": "3s", "SERVER_ONLY_EVENTS": "SEND_GIFT,LIKE", "LIKE_MAX_PER_MESSAGE": "0",
	} {
		env[k] = v
	}
	_, _, err = newFunction(env)
	if err == nil {
		t.Fatal("started with broken settings")
	}
	for _, name := range []string{"MODERATION_MODE", "MODERATION_CUSTOM", "LIKE_MODE", "CALLBACK_IO_BUDGET", "LIKE_EVENT", "LIKE_MAX_PER_MESSAGE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
	if strings.Contains(err.Error(), token) {
		t.Fatal("the callback token leaked into an error")
	}
}

func TestAWordListThatCannotBeUsedStopsTheStart(t *testing.T) {
	env := testEnv(t)
	empty := filepath.Join(t.TempDir(), "empty.txt")
	_ = os.WriteFile(empty, []byte("# nothing banned yet\n"), 0o644)
	for _, path := range []string{empty, filepath.Join(t.TempDir(), "missing.txt")} {
		env["MODERATION_WORDS_FILE"] = path
		if _, _, err := newFunction(env); err == nil ||
			!strings.Contains(err.Error(), "MODERATION_WORDS_FILE") {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// discardPublisher accepts activities and drops them.
type discardPublisher struct{}

func (discardPublisher) Publish(context.Context, ...live.Activity) error { return nil }

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// BenchmarkBeforeSendMsgRealMatcher is the BeforeSendMsg path in process with the moderation
// package's matcher and its built-in word list.
func BenchmarkBeforeSendMsgRealMatcher(b *testing.B) {
	matcher := moderation.Compile(moderation.DefaultWordList())
	now := time.Now()
	for _, tc := range []struct {
		name string
		mode callbacks.ModerationMode
		text string
	}{
		{"clean-short", callbacks.ModerationReject, "Is the blue one still in stock?"},
		{"clean-long", callbacks.ModerationReject, strings.Repeat("このバッグの色違いはありますか？ Do you ship abroad? ", 8)},
		{"banned-reject", callbacks.ModerationReject, "加微信 for a discount"},
		{"banned-mask", callbacks.ModerationMask, "加微信 for a discount"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := callbacks.New(callbacks.Config{SDKAppID: appID, Admin: "administrator", ModerationMode: tc.mode,
				Verifier: tim.CallbackVerifier{Token: token, Now: func() time.Time { return now }}},
				callbacks.Deps{Moderator: matcher, Publisher: discardPublisher{}, Logger: quiet()})
			body, _ := json.Marshal(message("mei", tim.TextElem(tc.text)))
			sign, reqTime := tim.SignCallback(token, now)
			req, _ := http.NewRequest(http.MethodPost, callbacks.Path+"?SdkAppid="+fmt.Sprint(appID)+
				"&CallbackCommand="+tim.CmdBeforeSendMsg+"&contenttype=json&ClientIP=203.0.113.7&OptPlatform=Web&RequestTime="+reqTime+"&Sign="+sign, nil)
			rd := bytes.NewReader(body)
			req.Body = io.NopCloser(rd)
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				rd.Reset(body)
				h.ServeHTTP(w, req)
			}
			if w.status != http.StatusOK {
				b.Fatalf("HTTP %d", w.status)
			}
		})
	}
}
