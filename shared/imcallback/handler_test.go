package imcallback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

func TestVerification(t *testing.T) {
	like := fixture(t, "before_like.json")
	tests := []struct {
		name     string
		token    string // configured
		query    func(now time.Time) string
		wantHTTP int
	}{
		{"good sign", testToken, func(now time.Time) string { return query(tim.CmdBeforeSendMsg, testAppID, testToken, now) }, 200},
		{"good sign, 59s old", testToken, func(now time.Time) string {
			return query(tim.CmdBeforeSendMsg, testAppID, testToken, now.Add(-59*time.Second))
		}, 200},
		{"missing sign with a token", testToken, func(now time.Time) string { return query(tim.CmdBeforeSendMsg, testAppID, "", now) }, 401},
		{"stale", testToken, func(now time.Time) string {
			return query(tim.CmdBeforeSendMsg, testAppID, testToken, now.Add(-61*time.Second))
		}, 401},
		{"from the future", testToken, func(now time.Time) string {
			return query(tim.CmdBeforeSendMsg, testAppID, testToken, now.Add(5*time.Minute))
		}, 401},
		{"signed with another token", testToken, func(now time.Time) string {
			return query(tim.CmdBeforeSendMsg, testAppID, "other", now)
		}, 401},
		{"wrong SdkAppid", testToken, func(now time.Time) string {
			return query(tim.CmdBeforeSendMsg, testAppID+1, testToken, now)
		}, 403},
		{"no SdkAppid", testToken, func(now time.Time) string { return query(tim.CmdBeforeSendMsg, 0, testToken, now) }, 403},
		{"garbled query", testToken, func(time.Time) string { return "SdkAppid=%zz&Sign=%" }, 403},
		{"unsigned without a token", "", func(now time.Time) string { return query(tim.CmdBeforeSendMsg, testAppID, "", now) }, 200},
		{"wrong SdkAppid without a token", "", func(now time.Time) string {
			return query(tim.CmdBeforeSendMsg, testAppID+1, "", now)
		}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, func(c *Config) { c.Verifier.Token = tc.token })
			rec := hs.sendQuery(tc.query(hs.now), like)
			r := decodeReply(t, rec)
			if rec.Code != tc.wantHTTP {
				t.Fatalf("HTTP %d (%s), want %d", rec.Code, r.ErrorInfo, tc.wantHTTP)
			}
			likes := hs.counts("room-1").Likes
			m := hs.h.Metrics()
			if tc.wantHTTP == 200 {
				if r.ErrorCode != 0 || likes != 3 || m.Callbacks != 1 {
					t.Fatalf("accepted callback: ErrorCode %d, likes %d, metrics %+v", r.ErrorCode, likes, m)
				}
				return
			}
			if r.ActionStatus != tim.StatusFail || likes != 0 || m.Refused != 1 || m.Callbacks != 0 {
				t.Fatalf("refused callback: %+v, likes %d, metrics %+v", r, likes, m)
			}
			if strings.Contains(rec.Body.String(), testToken) || strings.Contains(hs.logs.String(), "Sign=") {
				t.Fatal("the token or the signature leaked")
			}
		})
	}
}

func TestBadRequestsAreRefusedWithoutPanicking(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.MaxBody = 1024 })
	q := query(tim.CmdBeforeSendMsg, testAppID, testToken, hs.now)

	req := httptest.NewRequest(http.MethodGet, Path+"?"+q, nil)
	rec := httptest.NewRecorder()
	hs.h.ServeHTTP(rec, req)
	if decodeReply(t, rec); rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Fatalf("GET: HTTP %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}

	big := before("viewer_1", tim.TextElem(strings.Repeat("a", 2000)))
	if rec := hs.sendQuery(q, big); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize body: HTTP %d", rec.Code)
	}
	// Without a Content-Length, as a chunked body arrives.
	req = httptest.NewRequest(http.MethodPost, Path+"?"+q, io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	rec = httptest.NewRecorder()
	hs.h.ServeHTTP(rec, req)
	if decodeReply(t, rec); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize chunked body: HTTP %d", rec.Code)
	}

	for _, body := range []string{``, `{`, `not json`, `{"GroupId":"room-1","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"scam"}}]`, `[1,2`} {
		rec := hs.sendQuery(q, []byte(body))
		if decodeReply(t, rec); rec.Code != http.StatusBadRequest {
			t.Errorf("body %q: HTTP %d, want 400", body, rec.Code)
		}
	}
	if m := hs.h.Metrics(); m.BadRequests != 8 || m.Callbacks != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

func TestOddButWellFormedBodiesAreAnswered(t *testing.T) {
	hs := newHarness(t, nil)
	cases := []struct {
		name string
		body string
		want int
	}{
		{"missing fields", `{}`, 0},
		{"null body", `null`, 0},
		{"no MsgBody", `{"GroupId":"room-1","From_Account":"viewer_1"}`, 0},
		{"MsgBody null", `{"GroupId":"room-1","MsgBody":null}`, 0},
		{"element without content", `{"GroupId":"room-1","MsgBody":[{"MsgType":"TIMTextElem"}]}`, 0},
		{"content of the wrong type", `{"GroupId":"room-1","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":"scam"}]}`, 0},
		{"Text of the wrong type", `{"GroupId":"room-1","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":7}}]}`, 0},
		{"unknown element", `{"GroupId":"room-1","MsgBody":[{"MsgType":"TIMNewElem","MsgContent":{"Text":"scam"}}]}`, 0},
		{"Random as a string still moderated", `{"GroupId":"room-1","Random":"x","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"scam"}}]}`, CodeModerated},
		{"invalid UTF-8 around a banned word", "{\"GroupId\":\"room-1\",\"MsgBody\":[{\"MsgType\":\"TIMTextElem\",\"MsgContent\":{\"Text\":\"\xff\xfescam\xc3\"}}]}", CodeModerated},
		{"invalid UTF-8, clean", "{\"GroupId\":\"room-\xff\",\"MsgBody\":[{\"MsgType\":\"TIMTextElem\",\"MsgContent\":{\"Text\":\"hi \xff\"}}]}", 0},
		{"huge Random", `{"GroupId":"room-1","Random":18446744073709551615,"MsgBody":[]}`, 0},
		{"custom Data of the wrong type", `{"GroupId":"room-1","MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":["SEND_GIFT"]}}]}`, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectCode(t, hs.send(tim.CmdBeforeSendMsg, []byte(tc.body)), tc.want)
		})
	}
	for _, cmd := range []string{tim.CmdAfterSendMsg, tim.CmdAfterNewMemberJoin, tim.CmdAfterMemberExit, tim.CmdStateChange} {
		for _, body := range []string{`{}`, `{"GroupId":7}`, `{"NewMemberList":[{"Member_Account":1}],"ExitMemberList":"x"}`} {
			expectCode(t, hs.send(cmd, []byte(body)), 0)
		}
	}
}

func TestModerationModes(t *testing.T) {
	mixed := fixture(t, "before_mixed.json")
	tests := []struct {
		name      string
		mode      ModerationMode
		custom    bool
		body      []byte
		wantCode  int
		wantInfo  string
		wantTexts []string // the replacement MsgBody's texts; nil means no replacement
	}{
		{"clean text passes", ModerationReject, false, fixture(t, "before_text.json"), 0, "", nil},
		{"reject", ModerationReject, false, fixture(t, "before_text_banned.json"), CodeModerated, InfoModerated, nil},
		{"drop", ModerationDrop, false, fixture(t, "before_text_banned.json"), tim.CallbackDiscard, "", nil},
		{"mask", ModerationMask, false, fixture(t, "before_text_banned.json"), 0, "", []string{"this shop is a ****, **だ"}},
		{"mask, clean text passes unchanged", ModerationMask, false, fixture(t, "before_text.json"), 0, "", nil},
		{"mask ignores case like the matcher", ModerationMask, false, mixed, 0, "", []string{"total ****"}},
		{"reject, text in a mixed body", ModerationReject, false, mixed, CodeModerated, InfoModerated, nil},
		{"custom Ext unchecked by default", ModerationReject, false,
			before("viewer_1", tim.CustomElem("BUY_GOODS", `{"note":"scam"}`)), 0, "", nil},
		{"custom Ext checked with ModerateCustom", ModerationReject, true,
			before("viewer_1", tim.CustomElem("BUY_GOODS", `{"note":"scam"}`)), CodeModerated, InfoModerated, nil},
		{"custom Desc checked with ModerateCustom", ModerationDrop, true,
			before("viewer_1", tim.MsgElem{MsgType: tim.ElemCustom, MsgContent: json.RawMessage(`{"Data":"ATTENTION","Desc":"SCAM","Ext":""}`)}),
			tim.CallbackDiscard, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, func(c *Config) { c.ModerationMode = tc.mode; c.ModerateCustom = tc.custom })
			r := expectCode(t, hs.send(tim.CmdBeforeSendMsg, tc.body), tc.wantCode)
			if r.ErrorInfo != tc.wantInfo {
				t.Errorf("ErrorInfo %q, want %q", r.ErrorInfo, tc.wantInfo)
			}
			if tc.wantTexts == nil {
				if r.MsgBody != nil {
					t.Errorf("unexpected replacement MsgBody %s", mustMarshal(r.MsgBody))
				}
				return
			}
			if got := texts(t, r.MsgBody); fmt.Sprint(got) != fmt.Sprint(tc.wantTexts) {
				t.Errorf("replacement texts %q, want %q", got, tc.wantTexts)
			}
		})
	}
}

func TestMaskKeepsOtherElementsUntouched(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.ModerationMode = ModerationMask; c.ModerateCustom = true })
	body := fixture(t, "before_mixed.json")
	r := expectCode(t, hs.send(tim.CmdBeforeSendMsg, body), 0)
	var orig tim.SendMsgCallback
	if err := json.Unmarshal(body, &orig); err != nil {
		t.Fatal(err)
	}
	if len(r.MsgBody) != len(orig.MsgBody) {
		t.Fatalf("replacement has %d elements, the message %d", len(r.MsgBody), len(orig.MsgBody))
	}
	for i, el := range r.MsgBody {
		if el.MsgType != orig.MsgBody[i].MsgType {
			t.Errorf("element %d: MsgType %q, want %q", i, el.MsgType, orig.MsgBody[i].MsgType)
		}
	}
	for _, i := range []int{0, 3} { // the face and the location element
		if !jsonEqual(r.MsgBody[i].MsgContent, orig.MsgBody[i].MsgContent) {
			t.Errorf("element %d changed: %s, was %s", i, r.MsgBody[i].MsgContent, orig.MsgBody[i].MsgContent)
		}
	}
	c, ok := r.MsgBody[2].Custom()
	if !ok || c.Data != "BUY_GOODS" || c.Ext != `{"goodsId":"sku-9","note":"no ****"}` {
		t.Errorf("custom element %+v", c)
	}
	if m := hs.h.Metrics(); m.Masked != 1 || m.Moderated != 1 || m.Rejected != 0 {
		t.Errorf("metrics %+v", m)
	}
}

func TestPooledBuffersDoNotLeakIntoTheNextCallback(t *testing.T) {
	hs := newHarness(t, nil)
	banned := before("viewer_1", tim.TextElem("scam"), tim.CustomElem("SEND_GIFT", ""))
	for range 50 {
		expectCode(t, hs.send(tim.CmdBeforeSendMsg, banned), CodeModerated)
		// Elements without content, and fields left out, must not inherit the previous values.
		expectCode(t, hs.send(tim.CmdBeforeSendMsg, []byte(`{"MsgBody":[{"MsgType":"TIMTextElem"},{"MsgType":"TIMCustomElem"}]}`)), 0)
		expectCode(t, hs.send(tim.CmdAfterSendMsg, []byte(`{"MsgBody":[{"MsgType":"TIMTextElem"}]}`)), 0)
	}
	expectCode(t, hs.send(tim.CmdAfterNewMemberJoin, fixture(t, "join.json")), 0) // viewer_1, viewer_2
	expectCode(t, hs.send(tim.CmdAfterMemberExit, fixture(t, "exit.json")), 0)    // viewer_1
	expectCode(t, hs.send(tim.CmdAfterNewMemberJoin, []byte(`{"GroupId":"room-1","NewMemberList":[{}]}`)), 0)
	expectCode(t, hs.send(tim.CmdAfterMemberExit, []byte(`{"ExitMemberList":[{"Member_Account":"viewer_2"}]}`)), 0)
	expectCode(t, hs.send(tim.CmdAfterMemberExit, []byte(`{"GroupId":"room-1","ExitMemberList":[{}]}`)), 0)
	if got := hs.pub.activities(); len(got) != 0 {
		t.Fatalf("activities %+v from callbacks without sender", got)
	}
	if c := hs.counts("room-1"); c.Viewers != 1 {
		t.Fatalf("counts %+v, want 1 viewer: members without an account must not inherit earlier ones", c)
	}
}

func TestWithoutAModeratorNothingIsModerated(t *testing.T) {
	hs := newHarness(t, nil)
	hs.h.mod = nil
	expectCode(t, hs.send(tim.CmdBeforeSendMsg, fixture(t, "before_text_banned.json")), 0)
}

func TestServerOnlyEvents(t *testing.T) {
	gift := func(from, operator string) []byte {
		return sendMsgBody(tim.CmdBeforeSendMsg, "room-1", from, operator, 1, 0, tim.CustomElem("SEND_GIFT", `{"giftId":"rocket"}`))
	}
	tests := []struct {
		name  string
		edit  func(*Config)
		body  []byte
		want  int
		forge uint64
	}{
		{"a viewer's gift is refused", nil, fixture(t, "before_gift_viewer.json"), CodeServerOnly, 1},
		{"a gift sent through REST by the admin passes", nil, fixture(t, "before_gift_rest.json"), 0, 0},
		{"a gift from the admin account passes", nil, gift(testAdmin, testAdmin), 0, 0},
		{"LEVEL_UP from a viewer is refused", nil,
			before("viewer_1", tim.TextElem("hi"), tim.CustomElem("LEVEL_UP", `{"level":99}`)), CodeServerOnly, 1},
		{"NEW_GIFT and LIVE_ENDED too", nil, before("viewer_1", tim.CustomElem("LIVE_ENDED", "")), CodeServerOnly, 1},
		{"client events pass", nil, before("viewer_1", tim.CustomElem("BUY_GOODS", `{}`), tim.CustomElem("ATTENTION", "")), 0, 0},
		{"a configured list replaces the default", func(c *Config) { c.ServerOnlyEvents = []string{"RAIN"} },
			before("viewer_1", tim.CustomElem("RAIN", "")), CodeServerOnly, 1},
		{"the default list no longer applies", func(c *Config) { c.ServerOnlyEvents = []string{"RAIN"} },
			fixture(t, "before_gift_viewer.json"), 0, 0},
		{"an empty list turns the guard off", func(c *Config) { c.ServerOnlyEvents = []string{} },
			fixture(t, "before_gift_viewer.json"), 0, 0},
		{"without an admin, an anonymous gift is refused", func(c *Config) { c.Admin = "" }, gift("", ""), CodeServerOnly, 1},
		{"a viewer named like nobody cannot pass as the admin", nil, gift("", ""), CodeServerOnly, 1},
		{"a stray type beside Data does not hide a gift", nil,
			before("viewer_1", tim.MsgElem{MsgType: tim.ElemCustom, MsgContent: json.RawMessage(`{"Data":"SEND_GIFT","Sound":7}`)}), CodeServerOnly, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, tc.edit)
			r := expectCode(t, hs.send(tim.CmdBeforeSendMsg, tc.body), tc.want)
			if tc.want == CodeServerOnly && r.ErrorInfo != InfoServerOnly {
				t.Errorf("ErrorInfo %q", r.ErrorInfo)
			}
			if m := hs.h.Metrics(); m.Forged != tc.forge {
				t.Errorf("metrics %+v", m)
			}
		})
	}
}

func TestAServerOnlyEventIsRefusedBeforeItsLikesAreCounted(t *testing.T) {
	hs := newHarness(t, nil)
	body := before("viewer_1", tim.CustomElem("LIKE", ""), tim.CustomElem("SEND_GIFT", ""))
	expectCode(t, hs.send(tim.CmdBeforeSendMsg, body), CodeServerOnly)
	if c := hs.counts("room-1"); c.Likes != 0 {
		t.Fatalf("a refused message counted %d likes", c.Likes)
	}
}

func TestLikes(t *testing.T) {
	tests := []struct {
		name      string
		absorb    bool
		body      []byte
		wantCode  int
		wantLikes int64
	}{
		{"a plain like passes and counts 1", false, before("viewer_1", tim.CustomElem("LIKE", "")), 0, 1},
		{"the count in Ext", false, fixture(t, "before_like.json"), 0, 3},
		{"n in Ext", false, before("viewer_1", tim.CustomElem("LIKE", `{"n":5}`)), 0, 5},
		{"a numeric string", false, before("viewer_1", tim.CustomElem("LIKE", `{"count":"4"}`)), 0, 4},
		{"a bare number", false, before("viewer_1", tim.CustomElem("LIKE", " 6 ")), 0, 6},
		{"capped", false, before("viewer_1", tim.CustomElem("LIKE", `{"count":1000000}`)), 0, DefaultMaxLikesPerMessage},
		{"capped per message", false, before("viewer_1", tim.CustomElem("LIKE", `{"count":80}`), tim.CustomElem("LIKE", `{"count":80}`)), 0, DefaultMaxLikesPerMessage},
		{"zero counts 1", false, before("viewer_1", tim.CustomElem("LIKE", `{"count":0}`)), 0, 1},
		{"negative counts 1", false, before("viewer_1", tim.CustomElem("LIKE", `{"count":-50}`)), 0, 1},
		{"garbage counts 1", false, before("viewer_1", tim.CustomElem("LIKE", `{"count":[1]`)), 0, 1},
		{"absorbed", true, fixture(t, "before_like.json"), tim.CallbackDiscard, 3},
		{"a like with a text is not absorbed", true, before("viewer_1", tim.CustomElem("LIKE", ""), tim.TextElem("so cute")), 0, 1},
		{"a refused like is not counted", false, before("viewer_1", tim.CustomElem("LIKE", ""), tim.TextElem("scam")), CodeModerated, 0},
		{"another event is not a like", false, before("viewer_1", tim.CustomElem("like", "")), 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, func(c *Config) { c.AbsorbLikes = tc.absorb })
			expectCode(t, hs.send(tim.CmdBeforeSendMsg, tc.body), tc.wantCode)
			if c := hs.counts("room-1"); c.Likes != tc.wantLikes {
				t.Fatalf("likes %d, want %d", c.Likes, tc.wantLikes)
			}
			if m := hs.h.Metrics(); m.Likes != uint64(tc.wantLikes) {
				t.Fatalf("metrics %+v", m)
			}
		})
	}
}

func TestAConfiguredLikeEventIsCounted(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.LikeEvent = "HEART" })
	expectCode(t, hs.send(tim.CmdBeforeSendMsg, before("viewer_1", tim.CustomElem("HEART", ""))), 0)
	expectCode(t, hs.send(tim.CmdBeforeSendMsg, before("viewer_1", tim.CustomElem("LIKE", ""))), 0)
	if c := hs.counts("room-1"); c.Likes != 1 {
		t.Fatalf("likes %d, want 1", c.Likes)
	}
}

func TestAnAbsorbedLikePublishesItsActivity(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.AbsorbLikes = true })
	expectCode(t, hs.send(tim.CmdBeforeSendMsg, fixture(t, "before_like.json")), tim.CallbackDiscard)
	want := live.Activity{ID: "viewer_3/4001", RoomID: "room-1", UserID: "viewer_3", Kind: live.KindLike, Amount: 3,
		At: time.UnixMilli(1735689604000).UTC()}
	if got := hs.pub.activities(); len(got) != 1 || got[0] != want {
		t.Fatalf("activities %+v, want %+v", got, want)
	}
	// A passed like waits for AfterSendMsg instead.
	hs = newHarness(t, nil)
	expectCode(t, hs.send(tim.CmdBeforeSendMsg, fixture(t, "before_like.json")), 0)
	if got := hs.pub.activities(); len(got) != 0 {
		t.Fatalf("a passed like published %+v in BeforeSendMsg", got)
	}
}

func TestAfterSendMsgActivities(t *testing.T) {
	after := func(from string, seq uint64, elems ...tim.MsgElem) []byte {
		return sendMsgBody(tim.CmdAfterSendMsg, "room-1", from, from, 42, seq, elems...)
	}
	at := time.Unix(1735689600, 0).UTC()
	tests := []struct {
		name string
		body []byte
		want *live.Activity
	}{
		{"text", fixture(t, "after_text.json"),
			&live.Activity{ID: "room-1/123", RoomID: "room-1", UserID: "viewer_1", Kind: live.KindChat, Amount: 1, At: at}},
		{"like with a count", fixture(t, "after_like.json"),
			&live.Activity{ID: "room-1/124", RoomID: "room-1", UserID: "viewer_3", Kind: live.KindLike, Amount: 3, At: time.Unix(1735689604, 0).UTC()}},
		{"a purchase prompt earns nothing", after("v", 7, tim.CustomElem("BUY_GOODS", `{"goodsId":"sku-1"}`)), nil},
		{"coupon", after("v", 8, tim.CustomElem("USE_COUPON", "")),
			&live.Activity{ID: "room-1/8", RoomID: "room-1", UserID: "v", Kind: live.KindCoupon, Amount: 1, At: at}},
		{"follow", after("v", 9, tim.CustomElem("ATTENTION", "")),
			&live.Activity{ID: "room-1/9", RoomID: "room-1", UserID: "v", Kind: live.KindFollow, Amount: 1, At: at}},
		{"no MsgSeq: From_Account/Random", after("v", 0, tim.TextElem("hi")),
			&live.Activity{ID: "v/42", RoomID: "room-1", UserID: "v", Kind: live.KindChat, Amount: 1, At: time.UnixMilli(1735689600500).UTC()}},
		{"an unknown element first, then a text", after("v", 10, tim.MsgElem{MsgType: "TIMFaceElem", MsgContent: json.RawMessage(`{"Index":1}`)}, tim.TextElem("hi")),
			&live.Activity{ID: "room-1/10", RoomID: "room-1", UserID: "v", Kind: live.KindChat, Amount: 1, At: at}},
		{"unfollow earns nothing", after("v", 11, tim.CustomElem("CANCELATTENTION", "")), nil},
		{"an unknown event earns nothing", after("v", 12, tim.CustomElem("WAVE", "")), nil},
		{"a gift earns nothing here", after("v", 13, tim.CustomElem("SEND_GIFT", `{"price":100}`)), nil},
		{"an image earns nothing", after("v", 14, tim.MsgElem{MsgType: "TIMImageElem", MsgContent: json.RawMessage(`{}`)}), nil},
		{"the admin earns nothing", after(testAdmin, 15, tim.TextElem("welcome")), nil},
		{"no sender, nothing", after("", 16, tim.TextElem("hi")), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, nil)
			expectCode(t, hs.send(tim.CmdAfterSendMsg, tc.body), 0)
			got := hs.pub.activities()
			switch {
			case tc.want == nil && len(got) != 0:
				t.Fatalf("activities %+v, want none", got)
			case tc.want != nil && (len(got) != 1 || got[0] != *tc.want):
				t.Fatalf("activities %+v, want %+v", got, *tc.want)
			}
		})
	}
}

func TestARedeliveredAfterSendMsgKeepsItsID(t *testing.T) {
	hs := newHarness(t, nil)
	for range 2 {
		expectCode(t, hs.send(tim.CmdAfterSendMsg, fixture(t, "after_text.json")), 0)
	}
	got := hs.pub.activities()
	if len(got) != 2 || got[0].ID != got[1].ID {
		t.Fatalf("activities %+v: a redelivery must carry the same ID", got)
	}
}

func TestMembershipCallbacks(t *testing.T) {
	hs := newHarness(t, nil)
	join, exit := fixture(t, "join.json"), fixture(t, "exit.json")
	steps := []struct {
		command string
		body    []byte
		want    roomstats.Counts
	}{
		{tim.CmdAfterNewMemberJoin, join, roomstats.Counts{Viewers: 2, PeakViewers: 2}},
		{tim.CmdAfterNewMemberJoin, join, roomstats.Counts{Viewers: 2, PeakViewers: 2}}, // duplicate
		{tim.CmdAfterMemberExit, exit, roomstats.Counts{Viewers: 1, PeakViewers: 2}},
		{tim.CmdAfterMemberExit, exit, roomstats.Counts{Viewers: 1, PeakViewers: 2}}, // duplicate
		{tim.CmdAfterNewMemberJoin, []byte(`{"GroupId":"room-1","NewMemberList":[{"Member_Account":"administrator"},{"Member_Account":""}]}`),
			roomstats.Counts{Viewers: 1, PeakViewers: 2}},
	}
	for i, st := range steps {
		expectCode(t, hs.send(st.command, st.body), 0)
		if c := hs.counts("room-1"); c != st.want {
			t.Fatalf("step %d: counts %+v, want %+v", i, c, st.want)
		}
	}
	if m := hs.h.Metrics(); m.Joins != 2 || m.Leaves != 1 {
		t.Fatalf("metrics %+v", m)
	}
}

func TestStateChangeAndUnknownCommandsAreAcknowledged(t *testing.T) {
	hs := newHarness(t, nil)
	expectCode(t, hs.send(tim.CmdStateChange, fixture(t, "state_change.json")), 0)
	if !strings.Contains(hs.logs.String(), "Disconnect") {
		t.Errorf("the state change was not logged: %s", hs.logs)
	}
	expectCode(t, hs.send("Group.CallbackAfterGroupInfoChanged", fixture(t, "group_info_changed.json")), 0)
	expectCode(t, hs.send("Sns.CallbackFriendAdd", []byte(`this is not even JSON`)), 0)
	if got := hs.pub.activities(); len(got) != 0 {
		t.Fatalf("activities %+v", got)
	}
}

func TestTheCommandIsReadFromTheBodyWhenTheQueryLacksIt(t *testing.T) {
	hs := newHarness(t, nil)
	rec := hs.sendQuery(query("", testAppID, testToken, hs.now), fixture(t, "before_gift_viewer.json"))
	expectCode(t, rec, CodeServerOnly)
	rec = hs.sendQuery(query("", testAppID, testToken, hs.now), []byte(`{"CallbackCommand":`))
	if decodeReply(t, rec); rec.Code != http.StatusBadRequest {
		t.Fatalf("HTTP %d", rec.Code)
	}
}

func TestFailOpen(t *testing.T) {
	const budget = 40 * time.Millisecond
	const slack = 250 * time.Millisecond
	boom := errors.New("store down")
	tests := []struct {
		name     string
		break_   func(hs *harness, release chan struct{})
		command  string
		body     []byte
		wantCode int
		timeout  bool
	}{
		{"store fails on a like", func(hs *harness, _ chan struct{}) { hs.kv.SetFaults(memstore.FailCalls("", 0, boom)) },
			tim.CmdBeforeSendMsg, fixture(t, "before_like.json"), 0, false},
		{"store blocks on a like", func(hs *harness, r chan struct{}) { hs.kv.SetFaults(stuck(r)) },
			tim.CmdBeforeSendMsg, fixture(t, "before_like.json"), 0, true},
		{"store blocks on an absorbed like", func(hs *harness, r chan struct{}) { hs.kv.SetFaults(stuck(r)); hs.h.cfg.AbsorbLikes = true },
			tim.CmdBeforeSendMsg, fixture(t, "before_like.json"), tim.CallbackDiscard, true},
		{"store blocks, moderation still decides", func(hs *harness, r chan struct{}) { hs.kv.SetFaults(stuck(r)) },
			tim.CmdBeforeSendMsg, before("viewer_1", tim.CustomElem("LIKE", ""), tim.TextElem("scam")), CodeModerated, false},
		{"store panics", func(hs *harness, _ chan struct{}) { hs.kv.SetFaults(buggy) },
			tim.CmdBeforeSendMsg, fixture(t, "before_like.json"), 0, false},
		{"store fails on a join", func(hs *harness, _ chan struct{}) { hs.kv.SetFaults(memstore.FailCalls("", 0, boom)) },
			tim.CmdAfterNewMemberJoin, fixture(t, "join.json"), 0, false},
		{"store blocks on a join", func(hs *harness, r chan struct{}) { hs.kv.SetFaults(stuck(r)) },
			tim.CmdAfterNewMemberJoin, fixture(t, "join.json"), 0, true},
		{"store blocks on an exit", func(hs *harness, r chan struct{}) { hs.kv.SetFaults(stuck(r)) },
			tim.CmdAfterMemberExit, fixture(t, "exit.json"), 0, true},
		{"queue fails", func(hs *harness, _ chan struct{}) { hs.pub.err = boom },
			tim.CmdAfterSendMsg, fixture(t, "after_text.json"), 0, false},
		{"queue blocks", func(hs *harness, r chan struct{}) { hs.pub.block = r },
			tim.CmdAfterSendMsg, fixture(t, "after_text.json"), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, func(c *Config) { c.IOBudget = budget })
			release := make(chan struct{})
			defer close(release)
			tc.break_(hs, release)
			start := time.Now()
			rec := hs.send(tc.command, tc.body)
			took := time.Since(start)
			expectCode(t, rec, tc.wantCode)
			if took > budget+slack {
				t.Fatalf("the reply took %v with an I/O budget of %v", took, budget)
			}
			m := hs.h.Metrics()
			switch {
			case tc.wantCode == CodeModerated:
				if m.IOErrors+m.IOTimeouts != 0 {
					t.Fatalf("a refused message did I/O: %+v", m)
				}
			case tc.timeout:
				if m.IOTimeouts != 1 || took < budget {
					t.Fatalf("took %v, metrics %+v: want one timeout after the budget", took, m)
				}
			default:
				if m.IOErrors != 1 {
					t.Fatalf("metrics %+v: want one I/O error", m)
				}
			}
			if tc.wantCode != CodeModerated && !strings.Contains(hs.logs.String(), "level=WARN") {
				t.Fatalf("the failure was not logged at warn: %s", hs.logs)
			}
		})
	}
}

func TestFailureWarningsAreRateLimited(t *testing.T) {
	hs := newHarness(t, nil)
	hs.kv.SetFaults(memstore.FailCalls("", 0, errors.New("store down")))
	for range 20 {
		expectCode(t, hs.send(tim.CmdBeforeSendMsg, fixture(t, "before_like.json")), 0)
		hs.sendQuery(query(tim.CmdBeforeSendMsg, testAppID, "wrong", hs.now), fixture(t, "before_like.json"))
	}
	if n := strings.Count(hs.logs.String(), "level=WARN"); n != 2 {
		t.Fatalf("%d warnings for 20 I/O failures and 20 refusals within a second, want 2:\n%s", n, hs.logs)
	}
	if m := hs.h.Metrics(); m.IOErrors != 20 || m.Refused != 20 {
		t.Fatalf("metrics %+v: every failure must still be counted", m)
	}
}

func TestWithoutStatsOrPublisherCallbacksStillAnswer(t *testing.T) {
	h := New(Config{SDKAppID: testAppID}, Deps{})
	for _, c := range []struct{ cmd, file string }{
		{tim.CmdBeforeSendMsg, "before_like.json"}, {tim.CmdBeforeSendMsg, "before_text_banned.json"},
		{tim.CmdAfterSendMsg, "after_text.json"}, {tim.CmdAfterNewMemberJoin, "join.json"}, {tim.CmdAfterMemberExit, "exit.json"},
	} {
		req := httptest.NewRequest(http.MethodPost, Path+"?"+query(c.cmd, testAppID, "", time.Now()), bytes.NewReader(fixture(t, c.file)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		expectCode(t, rec, 0)
	}
}

func TestRegisterMountsThePathOnTheRouter(t *testing.T) {
	hs := newHarness(t, nil)
	rt := httpapi.NewRouter(slog.New(slog.DiscardHandler))
	hs.h.Register(rt)
	req := httptest.NewRequest(http.MethodPost, Path+"?"+query(tim.CmdBeforeSendMsg, testAppID, testToken, hs.now),
		bytes.NewReader(fixture(t, "before_gift_viewer.json")))
	rec := httptest.NewRecorder()
	rt.ServeHTTP(rec, req)
	expectCode(t, rec, CodeServerOnly)
}

func TestNewRefusesABrokenConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no app":               {},
		"unknown mode":         {SDKAppID: 1, ModerationMode: "shout"},
		"budget beyond IM's":   {SDKAppID: 1, IOBudget: 3 * time.Second},
		"like is server-only":  {SDKAppID: 1, ServerOnlyEvents: []string{"LIKE"}},
		"verifier for another": {SDKAppID: 1, Verifier: tim.CallbackVerifier{SDKAppID: 2}},
	} {
		t.Run(name, func(t *testing.T) {
			if err := cfg.Validate(); err == nil {
				t.Fatal("Validate accepted it")
			}
			defer func() {
				if recover() == nil {
					t.Fatal("New accepted it")
				}
			}()
			New(cfg, Deps{})
		})
	}
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return mustMarshal(x) == mustMarshal(y)
}
