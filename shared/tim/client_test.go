package tim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"

	"github.com/uriba-live/uriba/shared/live"
)

func TestCallsSendIMWireFormat(t *testing.T) {
	ctx := context.Background()
	notice := "Welcome"
	tests := []struct {
		name  string
		path  string
		reply string
		call  func(t *testing.T, c *Client)
		body  string
	}{
		{
			name: "AccountImport",
			path: "/v4/im_open_login_svc/account_import",
			call: func(t *testing.T, c *Client) {
				if err := c.AccountImport(ctx, AccountImportRequest{UserID: "viewer_1", Nick: "Viewer"}); err != nil {
					t.Fatal(err)
				}
			},
			body: `{"UserID":"viewer_1","Nick":"Viewer"}`,
		},
		{
			name:  "CreateGroup",
			path:  "/v4/group_open_http_svc/create_group",
			reply: `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","GroupId":"@TGS#aFAKE"}`,
			call: func(t *testing.T, c *Client) {
				id, err := c.CreateGroup(ctx, CreateGroupRequest{
					OwnerAccount:   "anchor_1",
					Name:           "Spring sale",
					Notification:   "Starts at 8",
					AppDefinedData: []KeyValue{{Key: "room_status", Value: "created"}},
				})
				if err != nil {
					t.Fatal(err)
				}
				if id != "@TGS#aFAKE" {
					t.Errorf("GroupId = %q, want the one IM assigned", id)
				}
			},
			body: `{"Owner_Account":"anchor_1","Type":"AVChatRoom","Name":"Spring sale","Notification":"Starts at 8",
				"AppDefinedData":[{"Key":"room_status","Value":"created"}]}`,
		},
		{
			name:  "CreateGroup with GroupId",
			path:  "/v4/group_open_http_svc/create_group",
			reply: `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","GroupId":"room-42"}`,
			call: func(t *testing.T, c *Client) {
				id, err := c.CreateGroup(ctx, CreateGroupRequest{GroupID: "room-42", Name: "Room 42"})
				if err != nil || id != "room-42" {
					t.Fatalf("CreateGroup = %q, %v", id, err)
				}
			},
			body: `{"Type":"AVChatRoom","GroupId":"room-42","Name":"Room 42"}`,
		},
		{
			name: "DestroyGroup",
			path: "/v4/group_open_http_svc/destroy_group",
			call: func(t *testing.T, c *Client) {
				if err := c.DestroyGroup(ctx, "@TGS#aFAKE"); err != nil {
					t.Fatal(err)
				}
			},
			body: `{"GroupId":"@TGS#aFAKE"}`,
		},
		{
			name: "GetGroupInfo",
			path: "/v4/group_open_http_svc/get_group_info",
			reply: `{"ActionStatus":"OK","ErrorCode":0,"GroupInfo":[
				{"GroupId":"room-1","ErrorCode":0,"Type":"AVChatRoom","Name":"One","Notification":"n",
				 "AppDefinedData":[{"Key":"ADD_GOODS","Value":"{}"}]},
				{"GroupId":"room-2","ErrorCode":10010,"ErrorInfo":"group not found"}]}`,
			call: func(t *testing.T, c *Client) {
				groups, err := c.GetGroupInfo(ctx, GetGroupInfoRequest{
					GroupIDList:    []string{"room-1", "room-2"},
					ResponseFilter: &ResponseFilter{AppDefinedDataFilterGroup: []string{"ADD_GOODS"}},
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(groups) != 2 || groups[0].Name != "One" || groups[0].AppDefinedData[0].Key != "ADD_GOODS" ||
					groups[1].ErrorCode != CodeGroupNotFound {
					t.Errorf("groups = %+v", groups)
				}
			},
			body: `{"GroupIdList":["room-1","room-2"],"ResponseFilter":{"AppDefinedDataFilter_Group":["ADD_GOODS"]}}`,
		},
		{
			name: "ModifyGroupBaseInfo",
			path: "/v4/group_open_http_svc/modify_group_base_info",
			call: func(t *testing.T, c *Client) {
				err := c.ModifyGroupBaseInfo(ctx, ModifyGroupRequest{
					GroupID:        "room-1",
					Notification:   &notice,
					AppDefinedData: []KeyValue{{Key: "LIKE_TOTAL", Value: "12"}},
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			body: `{"GroupId":"room-1","Notification":"Welcome","AppDefinedData":[{"Key":"LIKE_TOTAL","Value":"12"}]}`,
		},
		{
			name: "SetGroupField changes one field",
			path: "/v4/group_open_http_svc/modify_group_base_info",
			call: func(t *testing.T, c *Client) {
				if err := c.SetGroupField(ctx, "room-1", "ADD_GOODS", `{"id":"p1"}`); err != nil {
					t.Fatal(err)
				}
			},
			body: `{"GroupId":"room-1","AppDefinedData":[{"Key":"ADD_GOODS","Value":"{\"id\":\"p1\"}"}]}`,
		},
		{
			name: "SetGroupField deletes with an empty value",
			path: "/v4/group_open_http_svc/modify_group_base_info",
			call: func(t *testing.T, c *Client) {
				if err := c.SetGroupField(ctx, "room-1", "ADD_GOODS", ""); err != nil {
					t.Fatal(err)
				}
			},
			body: `{"GroupId":"room-1","AppDefinedData":[{"Key":"ADD_GOODS","Value":""}]}`,
		},
		{
			name: "SetGroupNotification",
			path: "/v4/group_open_http_svc/modify_group_base_info",
			call: func(t *testing.T, c *Client) {
				if err := c.SetGroupNotification(ctx, "room-1", ""); err != nil {
					t.Fatal(err)
				}
			},
			body: `{"GroupId":"room-1","Notification":""}`,
		},
		{
			name:  "SendGroupMsg",
			path:  "/v4/group_open_http_svc/send_group_msg",
			reply: `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgTime":1700000000,"MsgSeq":77}`,
			call: func(t *testing.T, c *Client) {
				rep, err := c.SendGroupMsg(ctx, SendGroupMsgRequest{
					GroupID:     "room-1",
					Random:      12345,
					FromAccount: "viewer_1",
					MsgPriority: PriorityHigh,
					MsgBody:     []MsgElem{TextElem("hi"), CustomElem("SEND_GIFT", `{"gift":"rose"}`)},
				})
				if err != nil {
					t.Fatal(err)
				}
				if rep.MsgSeq != 77 || rep.MsgTime != 1700000000 {
					t.Errorf("reply = %+v", rep)
				}
			},
			body: `{"GroupId":"room-1","Random":12345,"From_Account":"viewer_1","MsgPriority":"High","MsgBody":[
				{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}},
				{"MsgType":"TIMCustomElem","MsgContent":{"Data":"SEND_GIFT","Desc":"","Ext":"{\"gift\":\"rose\"}"}}]}`,
		},
		{
			name: "SendGroupSystemNotification",
			path: "/v4/group_open_http_svc/send_group_system_notification",
			call: func(t *testing.T, c *Client) {
				err := c.SendGroupSystemNotification(ctx, SystemNotificationRequest{GroupID: "room-1", Content: `{"type":"LIVE_ENDED","msg":"bye"}`})
				if err != nil {
					t.Fatal(err)
				}
			},
			body: `{"GroupId":"room-1","Content":"{\"type\":\"LIVE_ENDED\",\"msg\":\"bye\"}"}`,
		},
		{
			name: "ForbidSendMsg",
			path: "/v4/group_open_http_svc/forbid_send_msg",
			call: func(t *testing.T, c *Client) {
				err := c.ForbidSendMsg(ctx, ForbidSendMsgRequest{GroupID: "room-1", MembersAccount: []string{"troll"}, MuteTime: 600})
				if err != nil {
					t.Fatal(err)
				}
			},
			body: `{"GroupId":"room-1","Members_Account":["troll"],"MuteTime":600}`,
		},
		{
			name: "ForbidSendMsg unmutes with 0",
			path: "/v4/group_open_http_svc/forbid_send_msg",
			call: func(t *testing.T, c *Client) {
				err := c.ForbidSendMsg(ctx, ForbidSendMsgRequest{GroupID: "room-1", MembersAccount: []string{"troll"}})
				if err != nil {
					t.Fatal(err)
				}
			},
			body: `{"GroupId":"room-1","Members_Account":["troll"],"MuteTime":0}`,
		},
		{
			name:  "GetOnlineMemberNum",
			path:  "/v4/group_open_http_svc/get_online_member_num",
			reply: `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","OnlineMemberNum":33}`,
			call: func(t *testing.T, c *Client) {
				n, err := c.GetOnlineMemberNum(ctx, "room-1")
				if err != nil || n != 33 {
					t.Fatalf("GetOnlineMemberNum = %d, %v", n, err)
				}
			},
			body: `{"GroupId":"room-1"}`,
		},
		{
			name: "PortraitSet",
			path: "/v4/profile/portrait_set",
			call: func(t *testing.T, c *Client) {
				err := c.PortraitSet(ctx, PortraitSetRequest{
					FromAccount: "viewer_1",
					ProfileItem: []ProfileItem{IntProfileItem(TagLevel, 7), StringProfileItem("Tag_Profile_Custom_Badge", "gold")},
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			body: `{"From_Account":"viewer_1","ProfileItem":[{"Tag":"Tag_Profile_IM_Level","Value":7},
				{"Tag":"Tag_Profile_Custom_Badge","Value":"gold"}]}`,
		},
		{
			name: "PortraitGet",
			path: "/v4/profile/portrait_get",
			reply: `{"ActionStatus":"OK","ErrorCode":0,"UserProfileItem":[{"To_Account":"viewer_1",
				"ProfileItem":[{"Tag":"Tag_Profile_IM_Level","Value":7},{"Tag":"Tag_Profile_IM_Nick","Value":"V"}],
				"ResultCode":0,"ResultInfo":""}]}`,
			call: func(t *testing.T, c *Client) {
				profiles, err := c.PortraitGet(ctx, PortraitGetRequest{ToAccount: []string{"viewer_1"}, TagList: []string{TagLevel, TagNick}})
				if err != nil {
					t.Fatal(err)
				}
				if len(profiles) != 1 || len(profiles[0].ProfileItem) != 2 {
					t.Fatalf("profiles = %+v", profiles)
				}
				if lv, ok := profiles[0].ProfileItem[0].IntValue(); !ok || lv != 7 {
					t.Errorf("level = %d, %v", lv, ok)
				}
				if nick, ok := profiles[0].ProfileItem[1].StringValue(); !ok || nick != "V" {
					t.Errorf("nick = %q, %v", nick, ok)
				}
			},
			body: `{"To_Account":["viewer_1"],"TagList":["Tag_Profile_IM_Level","Tag_Profile_IM_Nick"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIM(t, func(int, fakeRequest) (int, string) {
				if tt.reply != "" {
					return 200, tt.reply
				}
				return 200, okReply
			})
			c := newTestClient(t, f.srv.URL)
			tt.call(t, c)
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("IM got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" {
				t.Errorf("method = %s, want POST", r.Method)
			}
			if r.Path != tt.path {
				t.Errorf("path = %s, want %s", r.Path, tt.path)
			}
			if r.ContentType != "application/json" {
				t.Errorf("Content-Type = %q", r.ContentType)
			}
			assertAdminQuery(t, r)
			assertJSON(t, r.Body, tt.body)
		})
	}
}

// assertAdminQuery checks the query IM requires on every REST call.
func assertAdminQuery(t *testing.T, r fakeRequest) {
	t.Helper()
	q := r.Query
	if len(q) != 5 {
		t.Errorf("query has %d parameters, want 5: %v", len(q), q)
	}
	if got := q.Get("sdkappid"); got != strconv.Itoa(testAppID) {
		t.Errorf("sdkappid = %q", got)
	}
	if got := q.Get("identifier"); got != testAdmin {
		t.Errorf("identifier = %q", got)
	}
	if got := q.Get("contenttype"); got != "json" {
		t.Errorf("contenttype = %q", got)
	}
	if _, err := strconv.ParseUint(q.Get("random"), 10, 32); err != nil {
		t.Errorf("random = %q is not a u32", q.Get("random"))
	}
	if err := tencentyun.VerifyUserSig(testAppID, testKey, testAdmin, q.Get("usersig"), time.Now()); err != nil {
		t.Errorf("usersig does not verify: %v", err)
	}
}

func TestCreateGroupWithoutIDFromIMKeepsAskedID(t *testing.T) {
	f := newFakeIM(t, nil) // replies without GroupId
	c := newTestClient(t, f.srv.URL)
	id, err := c.CreateGroup(context.Background(), CreateGroupRequest{GroupID: "room-7", Name: "Seven"})
	if err != nil || id != "room-7" {
		t.Fatalf("CreateGroup = %q, %v; want room-7", id, err)
	}
}

func TestGetGroupTurnsMissingGroupIntoNotFound(t *testing.T) {
	f := newFakeIM(t, func(int, fakeRequest) (int, string) {
		return 200, `{"ActionStatus":"OK","ErrorCode":0,"GroupInfo":[{"GroupId":"gone","ErrorCode":10010,"ErrorInfo":"not found"}]}`
	})
	c := newTestClient(t, f.srv.URL)
	_, err := c.GetGroup(context.Background(), "gone")
	if e := asError(t, err); e.Kind != KindNotFound || e.IMCode != CodeGroupNotFound || e.ErrorCode() != live.ENotFound {
		t.Fatalf("GetGroup error = %v (kind %v)", err, e.Kind)
	}
}

func TestGetGroupReturnsTheGroup(t *testing.T) {
	f := newFakeIM(t, func(int, fakeRequest) (int, string) {
		return 200, `{"ActionStatus":"OK","ErrorCode":0,"GroupInfo":[{"GroupId":"r","ErrorCode":0,"Name":"R",
			"AppDefinedData":[{"Key":"room_status","Value":"live"}]}]}`
	})
	c := newTestClient(t, f.srv.URL)
	g, err := c.GetGroup(context.Background(), "r")
	if err != nil || g.Name != "R" || len(g.AppDefinedData) != 1 || g.AppDefinedData[0].Value != "live" {
		t.Fatalf("GetGroup = %+v, %v", g, err)
	}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   Kind
		code   string
		imCode int
	}{
		{"60007 REST frequency", 200, failReply(60007), KindRateLimited, live.EIMRateLimited, 60007},
		{"60011 SDKAppID frequency", 200, failReply(60011), KindRateLimited, live.EIMRateLimited, 60011},
		{"60018 too many requests", 200, failReply(60018), KindRateLimited, live.EIMRateLimited, 60018},
		{"60019 too many requests", 200, failReply(60019), KindRateLimited, live.EIMRateLimited, 60019},
		{"10006 group frequency", 200, failReply(10006), KindRateLimited, live.EIMRateLimited, 10006},
		{"10023 message frequency", 200, failReply(10023), KindRateLimited, live.EIMRateLimited, 10023},
		{"HTTP 429", 429, "slow down", KindRateLimited, live.EIMRateLimited, 0},
		{"70001 UserSig expired", 200, failReply(70001), KindAuth, live.EIMRejected, 70001},
		{"70002 UserSig empty", 200, failReply(70002), KindAuth, live.EIMRejected, 70002},
		{"70003 UserSig invalid", 200, failReply(70003), KindAuth, live.EIMRejected, 70003},
		{"70009 wrong key", 200, failReply(70009), KindAuth, live.EIMRejected, 70009},
		{"70013 id mismatch", 200, failReply(70013), KindAuth, live.EIMRejected, 70013},
		{"70014 app mismatch", 200, failReply(70014), KindAuth, live.EIMRejected, 70014},
		{"60004 bad account in URL", 200, failReply(60004), KindAuth, live.EIMRejected, 60004},
		{"60005 bad signature in URL", 200, failReply(60005), KindAuth, live.EIMRejected, 60005},
		{"60010 admin required", 200, failReply(60010), KindAuth, live.EIMRejected, 60010},
		{"10010 group not found", 200, failReply(10010), KindNotFound, live.ENotFound, 10010},
		{"10015 no such group ID", 200, failReply(10015), KindNotFound, live.ENotFound, 10015},
		{"10019 account not found", 200, failReply(10019), KindNotFound, live.ENotFound, 10019},
		{"40003 profile not found", 200, failReply(40003), KindNotFound, live.ENotFound, 40003},
		{"70107 account not imported", 200, failReply(70107), KindNotFound, live.ENotFound, 70107},
		{"10004 bad parameter", 200, failReply(10004), KindInvalid, live.EUnprocessable, 10004},
		{"10011 bad JSON", 200, failReply(10011), KindInvalid, live.EUnprocessable, 10011},
		{"80002 message too long", 200, failReply(80002), KindInvalid, live.EUnprocessable, 80002},
		{"10021 GroupId in use", 200, failReply(10021), KindInvalid, live.EUnprocessable, 10021},
		{"10025 GroupId in use by owner", 200, failReply(10025), KindInvalid, live.EUnprocessable, 10025},
		{"90001 malformed JSON", 200, failReply(90001), KindInvalid, live.EUnprocessable, 90001},
		{"93000 packet too long", 200, failReply(93000), KindInvalid, live.EUnprocessable, 93000},
		{"10002 internal error", 200, failReply(10002), KindUnavailable, live.EIMUnavailable, 10002},
		{"60008 IM timeout", 200, failReply(60008), KindUnavailable, live.EIMUnavailable, 60008},
		{"91000 server error", 200, failReply(91000), KindUnavailable, live.EIMUnavailable, 91000},
		{"90994 server error", 200, failReply(90994), KindUnavailable, live.EIMUnavailable, 90994},
		{"HTTP 500", 500, "boom", KindUnavailable, live.EIMUnavailable, 0},
		{"HTTP 502", 502, "<html>bad gateway</html>", KindUnavailable, live.EIMUnavailable, 0},
		{"200 with HTML", 200, "<html>captive portal</html>", KindUnavailable, live.EIMUnavailable, 0},
		{"10007 no permission", 200, failReply(10007), KindRejected, live.EIMRejected, 10007},
		{"10016 callback refused", 200, failReply(10016), KindRejected, live.EIMRejected, 10016},
		{"10017 muted", 200, failReply(10017), KindRejected, live.EIMRejected, 10017},
		{"80001 dirty words", 200, failReply(80001), KindRejected, live.EIMRejected, 80001},
		{"FAIL without a code", 200, `{"ActionStatus":"FAIL","ErrorCode":0,"ErrorInfo":"odd"}`, KindRejected, live.EIMRejected, 0},
		{"HTTP 404", 404, "not found", KindRejected, live.EIMRejected, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIM(t, func(int, fakeRequest) (int, string) { return tt.status, tt.body })
			c := newTestClient(t, f.srv.URL, func(cfg *ClientConfig) { cfg.Retry.MaxAttempts = 1 })
			_, err := c.SendGroupMsg(context.Background(), SendGroupMsgRequest{GroupID: "room-1", MsgBody: []MsgElem{TextElem("hi")}})
			e := asError(t, err)
			if e.Kind != tt.kind {
				t.Errorf("kind = %v, want %v (%v)", e.Kind, tt.kind, err)
			}
			if e.ErrorCode() != tt.code {
				t.Errorf("ErrorCode() = %q, want %q", e.ErrorCode(), tt.code)
			}
			if e.IMCode != tt.imCode {
				t.Errorf("IMCode = %d, want %d", e.IMCode, tt.imCode)
			}
			if e.Call != CallSendGroupMsg {
				t.Errorf("Call = %q", e.Call)
			}
			if !errorsIsKind(err, tt.kind) {
				t.Errorf("errors.Is does not match the sentinel of %v", tt.kind)
			}
			if ErrorCodeOf(err) != tt.code {
				t.Errorf("ErrorCodeOf = %q", ErrorCodeOf(err))
			}
			assertNoSecrets(t, f, err.Error())
		})
	}
}

// assertNoSecrets fails when text holds the key or a UserSig the fake saw.
func assertNoSecrets(t *testing.T, f *fakeIM, text string) {
	t.Helper()
	if strings.Contains(text, testKey) {
		t.Errorf("%q contains the secret key", text)
	}
	if strings.Contains(text, "usersig") {
		t.Errorf("%q mentions the usersig", text)
	}
	if f == nil {
		return
	}
	for _, r := range f.requests() {
		if sig := r.Query.Get("usersig"); sig != "" && strings.Contains(text, sig) {
			t.Errorf("%q contains the admin UserSig", text)
		}
	}
}

func TestIMEchoOfCredentialsIsScrubbed(t *testing.T) {
	f := newFakeIM(t, func(_ int, r fakeRequest) (int, string) {
		b, _ := json.Marshal(Reply{ActionStatus: StatusFail, ErrorCode: 70003,
			ErrorInfo: "bad sig " + r.Query.Get("usersig") + " for key " + testKey})
		return 200, string(b)
	})
	c := newTestClient(t, f.srv.URL)
	err := c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"})
	if err == nil {
		t.Fatal("want an error")
	}
	assertNoSecrets(t, f, err.Error())
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %q lost IM's message", err)
	}
}

func TestClientConfigNeverPrintsTheKey(t *testing.T) {
	cfg := ClientConfig{SDKAppID: testAppID, SecretKey: testKey, Admin: testAdmin, Region: "sgp"}
	for _, s := range []string{cfg.String(), cfg.GoString(), cfg.LogValue().String(),
		fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(s, testKey) {
			t.Errorf("%q contains the key", s)
		}
	}
}

// errorsIsKind reports whether err matches the sentinel of k and no other, except that
// ErrUnavailable also covers KindTransient.
func errorsIsKind(err error, k Kind) bool {
	sentinels := map[Kind]error{
		KindRejected:    ErrRejected,
		KindRateLimited: ErrRateLimited,
		KindAuth:        ErrAuth,
		KindNotFound:    ErrNotFound,
		KindInvalid:     ErrInvalid,
		KindTransient:   ErrTransient,
		KindUnavailable: ErrUnavailable,
	}
	for kind, s := range sentinels {
		want := kind == k || (kind == KindUnavailable && k == KindTransient)
		if errors.Is(err, s) != want {
			return false
		}
	}
	return true
}
