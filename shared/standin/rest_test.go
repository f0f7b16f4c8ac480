package standin

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
	"github.com/uriba-live/uriba/shared/tim"
)

func TestNewRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no SDKAppID":      {SecretKey: "k", Admin: "admin"},
		"no key":           {SDKAppID: 1, Admin: "admin"},
		"no admin":         {SDKAppID: 1, SecretKey: "k"},
		"relative URL":     {SDKAppID: 1, SecretKey: "k", Admin: "admin", CallbackURL: "/cb"},
		"negative timeout": {SDKAppID: 1, SecretKey: "k", Admin: "admin", CallbackTimeout: -time.Second},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func TestRESTAuthentication(t *testing.T) {
	h := newHarness(t).start()
	expiring, err := tencentyun.GenUserSig(testAppID, testKey, testAdmin, 60)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := tencentyun.GenUserSig(testAppID, "another key", testAdmin, 86400)
	if err != nil {
		t.Fatal(err)
	}
	otherApp, err := tencentyun.GenUserSig(testAppID+1, testKey, testAdmin, 86400)
	if err != nil {
		t.Fatal(err)
	}
	h.importAccount("bob", "")
	cases := []struct {
		name   string
		change func(q map[string][]string)
		want   int
	}{
		{"valid", func(map[string][]string) {}, 0},
		{"no sdkappid", func(q map[string][]string) { delete(q, "sdkappid") }, codeNoSDKAppID},
		{"another sdkappid", func(q map[string][]string) { q["sdkappid"] = []string{"1400000002"} }, codeSDKAppIDInvalid},
		{"no identifier", func(q map[string][]string) { delete(q, "identifier") }, tim.CodeBadAccountInURL},
		{"identifier not the admin", func(q map[string][]string) {
			q["identifier"], q["usersig"] = []string{"bob"}, []string{userSig(t, "bob")}
		}, tim.CodeAdminRequired},
		{"UserSig of another user", func(q map[string][]string) { q["usersig"] = []string{userSig(t, "bob")} }, tim.CodeUserSigIDMismatch},
		{"UserSig of another app", func(q map[string][]string) { q["usersig"] = []string{otherApp} }, tim.CodeUserSigIDMismatch2},
		{"forged UserSig", func(q map[string][]string) { q["usersig"] = []string{forged} }, tim.CodeUserSigWrongKey},
		{"garbage UserSig", func(q map[string][]string) { q["usersig"] = []string{"not-a-usersig"} }, tim.CodeUserSigInvalid},
		{"no UserSig", func(q map[string][]string) { delete(q, "usersig") }, tim.CodeUserSigEmpty},
		{"expired UserSig", func(q map[string][]string) { q["usersig"] = []string{expiring} }, tim.CodeUserSigExpired},
		{"no random", func(q map[string][]string) { delete(q, "random") }, codeBadURL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := h.adminQuery()
			c.change(q)
			if c.name == "expired UserSig" {
				h.clock.Advance(2 * time.Minute)
				defer h.clock.Advance(-2 * time.Minute)
			}
			r, _ := h.raw(http.MethodPost, cmdAccountImport, q, []byte(`{"UserID":"carol"}`))
			if r.ErrorCode != c.want {
				t.Fatalf("got %+v, want ErrorCode %d", r, c.want)
			}
		})
	}
}

func TestRESTRequestShape(t *testing.T) {
	h := newHarness(t).start()
	cases := []struct {
		name, method, command, body string
		want                        int
	}{
		{"GET", http.MethodGet, cmdAccountImport, `{"UserID":"bob"}`, codeBadJSON},
		{"empty body", http.MethodPost, cmdAccountImport, ``, codeBadJSON},
		{"not JSON", http.MethodPost, cmdAccountImport, `UserID=bob`, codeBadJSON},
		{"JSON array", http.MethodPost, cmdAccountImport, `[]`, codeBadJSON},
		{"unknown command", http.MethodPost, "group_open_http_svc/no_such_command", `{}`, codeUnknownCommand},
		{"unknown service", http.MethodPost, "no_svc/account_import", `{}`, codeUnknownCommand},
		{"short path", http.MethodPost, "account_import", `{}`, codeUnknownCommand},
		{"wrong field type", http.MethodPost, cmdSendGroupMsg, `{"GroupId":"g","Random":"x"}`, codeBadJSON},
	}
	for _, c := range cases {
		r, _ := h.raw(c.method, c.command, h.adminQuery(), []byte(c.body))
		if r.ErrorCode != c.want {
			t.Errorf("%s: got %+v, want ErrorCode %d", c.name, r, c.want)
		}
	}
}

func TestAccountImport(t *testing.T) {
	h := newHarness(t).start()
	h.must(cmdAccountImport, tim.AccountImportRequest{UserID: "bob", Nick: "Bob", FaceURL: "https://example.com/bob.png"}, nil)
	h.must(cmdAccountImport, tim.AccountImportRequest{UserID: "bob"}, nil) // idempotent, keeps the nick
	p, ok := h.im.Profile("bob")
	if !ok || string(p[tim.TagNick]) != `"Bob"` || string(p[tim.TagImage]) != `"https://example.com/bob.png"` {
		t.Fatalf("profile %v %v", p, ok)
	}
	h.wantCode(codeImportParam, cmdAccountImport, tim.AccountImportRequest{UserID: ""})
	h.wantCode(codeImportParam, cmdAccountImport, tim.AccountImportRequest{UserID: strings.Repeat("x", 33)})
	h.wantCode(codeImportParam, cmdAccountImport, tim.AccountImportRequest{UserID: "tab\there"})
	h.must(cmdAccountImport, tim.AccountImportRequest{UserID: strings.Repeat("x", 32)}, nil)
	if _, ok := h.im.Profile("nobody"); ok {
		t.Fatal("Profile of an account never imported")
	}
}

func TestCreateGroup(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("anchor", "")
	var reply tim.CreateGroupReply
	h.must(cmdCreateGroup, tim.CreateGroupRequest{
		Type: tim.GroupTypeAVChatRoom, GroupID: "room-1", Name: "Room one", OwnerAccount: "anchor", Notification: "hello",
		AppDefinedData: []tim.KeyValue{{Key: "room_status", Value: "created"}},
	}, &reply)
	if reply.GroupID != "room-1" {
		t.Fatalf("GroupId %q", reply.GroupID)
	}
	v, ok := h.im.Group("room-1")
	if !ok || v.Name != "Room one" || v.Notification != "hello" || v.Fields["room_status"] != "created" || v.Type != "AVChatRoom" || v.Owner != "anchor" {
		t.Fatalf("group %+v", v)
	}

	h.must(cmdCreateGroup, tim.CreateGroupRequest{Type: tim.GroupTypeAVChatRoom, Name: "auto"}, &reply)
	if !strings.HasPrefix(reply.GroupID, "@TGS#") {
		t.Fatalf("assigned GroupId %q", reply.GroupID)
	}

	base := func(change func(*tim.CreateGroupRequest)) tim.CreateGroupRequest {
		r := tim.CreateGroupRequest{Type: tim.GroupTypeAVChatRoom, GroupID: "room-2", Name: "Room two"}
		change(&r)
		return r
	}
	refusals := []struct {
		name string
		req  any
		want int
	}{
		{"GroupId in use", base(func(r *tim.CreateGroupRequest) { r.GroupID = "room-1" }), tim.CodeGroupIDInUse},
		{"not an AVChatRoom", base(func(r *tim.CreateGroupRequest) { r.Type = "Public" }), tim.CodeInvalidParam},
		{"no name", base(func(r *tim.CreateGroupRequest) { r.Name = "" }), tim.CodeInvalidParam},
		{"name of 31 bytes", base(func(r *tim.CreateGroupRequest) { r.Name = strings.Repeat("n", 31) }), tim.CodeInvalidParam},
		{"introduction of 241 bytes", base(func(r *tim.CreateGroupRequest) { r.Introduction = strings.Repeat("i", 241) }), tim.CodeInvalidParam},
		{"notification of 301 bytes", base(func(r *tim.CreateGroupRequest) { r.Notification = strings.Repeat("n", 301) }), tim.CodeInvalidParam},
		{"FaceUrl of 101 bytes", base(func(r *tim.CreateGroupRequest) { r.FaceURL = strings.Repeat("f", 101) }), tim.CodeInvalidParam},
		{"reserved GroupId", base(func(r *tim.CreateGroupRequest) { r.GroupID = "@TGS#mine" }), tim.CodeInvalidParam},
		{"GroupId of 49 bytes", base(func(r *tim.CreateGroupRequest) { r.GroupID = strings.Repeat("g", 49) }), tim.CodeInvalidParam},
		{"unprintable GroupId", base(func(r *tim.CreateGroupRequest) { r.GroupID = "room\n2" }), tim.CodeInvalidParam},
		{"field key with a leading digit", base(func(r *tim.CreateGroupRequest) { r.AppDefinedData = []tim.KeyValue{{Key: "1st", Value: "x"}} }), tim.CodeInvalidParam},
		{"field key of 17 bytes", base(func(r *tim.CreateGroupRequest) {
			r.AppDefinedData = []tim.KeyValue{{Key: strings.Repeat("k", 17), Value: "x"}}
		}), tim.CodeInvalidParam},
		{"field key with a dash", base(func(r *tim.CreateGroupRequest) { r.AppDefinedData = []tim.KeyValue{{Key: "a-b", Value: "x"}} }), tim.CodeInvalidParam},
		{"field value of 513 bytes", base(func(r *tim.CreateGroupRequest) {
			r.AppDefinedData = []tim.KeyValue{{Key: "k", Value: strings.Repeat("v", 513)}}
		}), tim.CodeInvalidParam},
		{"unknown owner", base(func(r *tim.CreateGroupRequest) { r.OwnerAccount = "ghost" }), codeNoSuchAccount},
		{"member list", map[string]any{"Type": "AVChatRoom", "Name": "x", "MemberList": []map[string]string{{"Member_Account": "anchor"}}}, tim.CodeInvalidParam},
	}
	for _, c := range refusals {
		if r := h.call(cmdCreateGroup, c.req, nil); r.ErrorCode != c.want {
			t.Errorf("%s: got %+v, want %d", c.name, r, c.want)
		}
	}
	if _, ok := h.im.Group("room-2"); ok {
		t.Fatal("a refused create_group created the group")
	}
	// Limits are inclusive.
	h.must(cmdCreateGroup, base(func(r *tim.CreateGroupRequest) {
		r.Name, r.GroupID = strings.Repeat("n", 30), strings.Repeat("g", 48)
		r.AppDefinedData = []tim.KeyValue{{Key: strings.Repeat("k", 16), Value: strings.Repeat("v", 512)}}
	}), nil)
}

func TestGetGroupInfo(t *testing.T) {
	h := newHarness(t).start()
	h.createGroup("room", tim.KeyValue{Key: "ADD_GOODS", Value: `{"id":1}`}, tim.KeyValue{Key: "room_status", Value: "live"})
	var reply tim.GetGroupInfoReply
	h.must(cmdGetGroupInfo, tim.GetGroupInfoRequest{GroupIDList: []string{"room", "missing"}}, &reply)
	if len(reply.GroupInfo) != 2 {
		t.Fatalf("GroupInfo %+v", reply.GroupInfo)
	}
	room, missing := reply.GroupInfo[0], reply.GroupInfo[1]
	if room.ErrorCode != 0 || room.Name != "room room" || room.Type != tim.GroupTypeAVChatRoom || room.MuteAllMember != "Off" || len(room.AppDefinedData) != 2 || room.CreateTime == 0 {
		t.Fatalf("room %+v", room)
	}
	if missing.GroupID != "missing" || missing.ErrorCode != tim.CodeGroupNotFound {
		t.Fatalf("missing %+v", missing)
	}

	var filtered tim.GetGroupInfoReply
	h.must(cmdGetGroupInfo, tim.GetGroupInfoRequest{GroupIDList: []string{"room"}, ResponseFilter: &tim.ResponseFilter{
		GroupBaseInfoFilter: []string{"Name"}, AppDefinedDataFilterGroup: []string{"room_status"},
	}}, &filtered)
	got := filtered.GroupInfo[0]
	if got.Name != "room room" || got.Type != "" || len(got.AppDefinedData) != 1 || got.AppDefinedData[0] != (tim.KeyValue{Key: "room_status", Value: "live"}) {
		t.Fatalf("filtered %+v", got)
	}

	ids := make([]string, 51)
	for i := range ids {
		ids[i] = "room"
	}
	h.wantCode(tim.CodeInvalidParam, cmdGetGroupInfo, tim.GetGroupInfoRequest{GroupIDList: ids})
	h.must(cmdGetGroupInfo, tim.GetGroupInfoRequest{GroupIDList: ids[:50]}, nil)
	h.wantCode(tim.CodeInvalidParam, cmdGetGroupInfo, tim.GetGroupInfoRequest{})
}

func TestModifyGroupBaseInfo(t *testing.T) {
	h := newHarness(t).start()
	h.createGroup("room", tim.KeyValue{Key: "ADD_GOODS", Value: "old"})
	name, notice := "renamed", "welcome"
	h.must(cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", Name: &name, Notification: &notice, MuteAllMember: "On",
		AppDefinedData: []tim.KeyValue{{Key: "ADD_GOODS", Value: ""}, {Key: "room_status", Value: "live"}}}, nil)
	v, _ := h.im.Group("room")
	if v.Name != "renamed" || v.Notification != "welcome" || !v.MuteAllMember || len(v.Fields) != 1 || v.Fields["room_status"] != "live" {
		t.Fatalf("group %+v", v)
	}

	empty, long := "", strings.Repeat("n", 301)
	h.wantCode(tim.CodeGroupNotFound, cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "missing", Name: &name})
	h.wantCode(tim.CodeInvalidParam, cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", Name: &empty})
	h.wantCode(tim.CodeInvalidParam, cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", Notification: &long})
	h.wantCode(tim.CodeInvalidParam, cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", MuteAllMember: "Maybe"})
	h.wantCode(tim.CodeInvalidParam, cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", AppDefinedData: []tim.KeyValue{{Key: "bad key", Value: "x"}}})

	// The app has two keys (ADD_GOODS stays configured after its deletion); eight more fit.
	var fields []tim.KeyValue
	for i := range 8 {
		fields = append(fields, tim.KeyValue{Key: "f" + strconv.Itoa(i), Value: "x"})
	}
	h.must(cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", AppDefinedData: fields}, nil)
	h.wantCode(tim.CodeInvalidParam, cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", AppDefinedData: []tim.KeyValue{{Key: "eleventh", Value: "x"}}})
	h.createGroup("other", tim.KeyValue{Key: "ADD_GOODS", Value: "again"}) // a configured key is fine in any group
	h.wantCode(tim.CodeInvalidParam, cmdCreateGroup, tim.CreateGroupRequest{Type: tim.GroupTypeAVChatRoom, Name: "x", AppDefinedData: []tim.KeyValue{{Key: "eleventh", Value: "x"}}})
}

func TestDestroyGroup(t *testing.T) {
	h := newHarness(t).start()
	h.createGroup("room")
	h.must(cmdDestroyGroup, tim.GroupIDRequest{GroupID: "room"}, nil)
	if _, ok := h.im.Group("room"); ok {
		t.Fatal("group still exists")
	}
	h.wantCode(tim.CodeGroupNotFound, cmdDestroyGroup, tim.GroupIDRequest{GroupID: "room"})
	h.wantCode(tim.CodeInvalidParam, cmdDestroyGroup, tim.GroupIDRequest{})
	h.createGroup("room") // the GroupId is free again
}

func TestForbidSendMsg(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.GroupMessagesPerSecond = -1 }).start()
	h.importAccount("bob", "")
	h.createGroup("room")
	h.must(cmdForbidSendMsg, tim.ForbidSendMsgRequest{GroupID: "room", MembersAccount: []string{"bob"}, MuteTime: 60}, nil)
	if v, _ := h.im.Group("room"); v.Muted["bob"].IsZero() {
		t.Fatalf("bob not muted: %+v", v.Muted)
	}
	if r := h.sendText("room", "bob", 1, "hi"); r.ErrorCode != codeSenderMuted {
		t.Fatalf("muted send: %+v", r)
	}
	h.clock.Advance(61 * time.Second)
	if r := h.sendText("room", "bob", 2, "hi"); r.ErrorCode != 0 {
		t.Fatalf("send after the mute: %+v", r)
	}
	h.must(cmdForbidSendMsg, tim.ForbidSendMsgRequest{GroupID: "room", MembersAccount: []string{"bob"}, MuteTime: 600}, nil)
	h.must(cmdForbidSendMsg, tim.ForbidSendMsgRequest{GroupID: "room", MembersAccount: []string{"bob"}, MuteTime: 0}, nil)
	if r := h.sendText("room", "bob", 3, "hi"); r.ErrorCode != 0 {
		t.Fatalf("send after unmute: %+v", r)
	}
	h.wantCode(tim.CodeGroupNotFound, cmdForbidSendMsg, tim.ForbidSendMsgRequest{GroupID: "missing", MembersAccount: []string{"bob"}, MuteTime: 1})
	h.wantCode(tim.CodeInvalidParam, cmdForbidSendMsg, tim.ForbidSendMsgRequest{GroupID: "room", MuteTime: 1})
	h.wantCode(tim.CodeInvalidParam, cmdForbidSendMsg, tim.ForbidSendMsgRequest{GroupID: "room", MembersAccount: make([]string, 501), MuteTime: 1})
}

func TestOnlineMemberNum(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("alice", "")
	h.createGroup("room")
	var reply tim.OnlineMemberNumReply
	h.must(cmdOnlineMemberNum, tim.GroupIDRequest{GroupID: "room"}, &reply)
	if reply.OnlineMemberNum != 0 {
		t.Fatalf("OnlineMemberNum %d", reply.OnlineMemberNum)
	}
	if status := h.viewer(http.MethodPost, groupPath("room")+"/members", "alice", nil, nil); status != http.StatusOK {
		t.Fatalf("join: HTTP %d", status)
	}
	h.must(cmdOnlineMemberNum, tim.GroupIDRequest{GroupID: "room"}, &reply)
	if reply.OnlineMemberNum != 1 {
		t.Fatalf("OnlineMemberNum %d", reply.OnlineMemberNum)
	}
	h.wantCode(tim.CodeGroupNotFound, cmdOnlineMemberNum, tim.GroupIDRequest{GroupID: "missing"})
}

func TestPortraitSetAndGet(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("bob", "Bob")
	item := func(tag, value string) tim.ProfileItem {
		return tim.ProfileItem{Tag: tag, Value: json.RawMessage(value)}
	}
	h.must(cmdPortraitSet, tim.PortraitSetRequest{FromAccount: "bob", ProfileItem: []tim.ProfileItem{
		item(tim.TagLevel, "7"), item(tim.TagNick, `"Bobby"`), item("Tag_Profile_Custom_Coins", `"120"`),
	}}, nil)
	p, _ := h.im.Profile("bob")
	if string(p[tim.TagLevel]) != "7" || string(p[tim.TagNick]) != `"Bobby"` || string(p["Tag_Profile_Custom_Coins"]) != `"120"` {
		t.Fatalf("profile %s", mustJSON(p))
	}

	refusals := []struct {
		name string
		req  tim.PortraitSetRequest
		want int
	}{
		{"unknown account", tim.PortraitSetRequest{FromAccount: "ghost", ProfileItem: []tim.ProfileItem{item(tim.TagLevel, "1")}}, codeProfileAccount},
		{"no account", tim.PortraitSetRequest{ProfileItem: []tim.ProfileItem{item(tim.TagLevel, "1")}}, codeProfileParam},
		{"no items", tim.PortraitSetRequest{FromAccount: "bob"}, codeProfileParam},
		{"level as a string", tim.PortraitSetRequest{FromAccount: "bob", ProfileItem: []tim.ProfileItem{item(tim.TagLevel, `"3"`)}}, codeProfileParam},
		{"negative level", tim.PortraitSetRequest{FromAccount: "bob", ProfileItem: []tim.ProfileItem{item(tim.TagLevel, "-1")}}, codeProfileParam},
		{"level above uint32", tim.PortraitSetRequest{FromAccount: "bob", ProfileItem: []tim.ProfileItem{item(tim.TagLevel, "4294967296")}}, codeProfileParam},
		{"nick as a number", tim.PortraitSetRequest{FromAccount: "bob", ProfileItem: []tim.ProfileItem{item(tim.TagNick, "5")}}, codeProfileParam},
		{"custom value of 501 bytes", tim.PortraitSetRequest{FromAccount: "bob", ProfileItem: []tim.ProfileItem{item("Tag_Profile_Custom_Coins", `"`+strings.Repeat("x", 501)+`"`)}}, codeProfileParam},
		{"custom name of 9 bytes", tim.PortraitSetRequest{FromAccount: "bob", ProfileItem: []tim.ProfileItem{item("Tag_Profile_Custom_ninechars", `"x"`)}}, codeProfileTag},
		{"unknown tag", tim.PortraitSetRequest{FromAccount: "bob", ProfileItem: []tim.ProfileItem{item("Tag_Profile_Nope", `"x"`)}}, codeProfileTag},
	}
	for _, c := range refusals {
		if r := h.call(cmdPortraitSet, c.req, nil); r.ErrorCode != c.want {
			t.Errorf("%s: got %+v, want %d", c.name, r, c.want)
		}
	}
	if p, _ := h.im.Profile("bob"); string(p[tim.TagLevel]) != "7" {
		t.Fatalf("a refused call changed the level to %s", p[tim.TagLevel])
	}

	var reply tim.PortraitGetReply
	h.must(cmdPortraitGet, tim.PortraitGetRequest{ToAccount: []string{"bob", "ghost"}, TagList: []string{tim.TagLevel, tim.TagNick}}, &reply)
	if len(reply.UserProfileItem) != 2 {
		t.Fatalf("reply %+v", reply)
	}
	bob, ghost := reply.UserProfileItem[0], reply.UserProfileItem[1]
	if bob.ResultCode != 0 || len(bob.ProfileItem) != 2 || string(bob.ProfileItem[0].Value) != "7" {
		t.Fatalf("bob %+v", bob)
	}
	if ghost.ResultCode != codeProfileAccount {
		t.Fatalf("ghost %+v", ghost)
	}
	h.wantCode(codeProfileParam, cmdPortraitGet, tim.PortraitGetRequest{TagList: []string{tim.TagLevel}})
	h.wantCode(codeProfileParam, cmdPortraitGet, tim.PortraitGetRequest{ToAccount: []string{"bob"}})
}

func TestRESTFrequencyLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RESTCallsPerSecond = 3 }).start()
	h.createGroup("room")
	info := tim.GetGroupInfoRequest{GroupIDList: []string{"room"}}
	for i := range 3 {
		if r := h.call(cmdGetGroupInfo, info, nil); r.ErrorCode != 0 {
			t.Fatalf("call %d: %+v", i+1, r)
		}
	}
	h.wantCode(tim.CodeRESTFrequency, cmdGetGroupInfo, info)
	// Each command has a window of its own.
	h.must(cmdOnlineMemberNum, tim.GroupIDRequest{GroupID: "room"}, nil)
	// The window slides: the first three calls leave it one second after they were made.
	h.clock.Advance(999 * time.Millisecond)
	h.wantCode(tim.CodeRESTFrequency, cmdGetGroupInfo, info)
	h.clock.Advance(time.Millisecond)
	h.must(cmdGetGroupInfo, info, nil)
}

func TestAccountImportFrequencyLimit(t *testing.T) {
	h := newHarness(t).start() // IM's defaults: 200 calls per second, 100 for account_import
	for i := range 100 {
		h.must(cmdAccountImport, tim.AccountImportRequest{UserID: "user" + strconv.Itoa(i)}, nil)
	}
	h.wantCode(tim.CodeRESTFrequency, cmdAccountImport, tim.AccountImportRequest{UserID: "one-too-many"})
	h.must(cmdGetGroupInfo, tim.GetGroupInfoRequest{GroupIDList: []string{"room"}}, nil)
}
