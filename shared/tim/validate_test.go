package tim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/live"
)

func TestValidators(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		valid bool
	}{
		{"UserID of 32 bytes", ValidateUserID(strings.Repeat("a", 32)), true},
		{"UserID with punctuation", ValidateUserID("user@example.com~!"), true},
		{"UserID of 33 bytes", ValidateUserID(strings.Repeat("a", 33)), false},
		{"empty UserID", ValidateUserID(""), false},
		{"UserID with a control byte", ValidateUserID("a\nb"), false},
		{"UserID not ASCII", ValidateUserID("ユーザー"), false},
		{"UserID of IM's system sender", ValidateUserID("@TIM#SYSTEM"), false},
		{"UserID of IM's unknown account", ValidateUserID("@TLS#NOT_FOUND"), false},
		{"GroupId of 48 bytes", ValidateGroupID(strings.Repeat("g", 48)), true},
		{"GroupId of 49 bytes", ValidateGroupID(strings.Repeat("g", 49)), false},
		{"GroupId with IM's prefix", ValidateGroupID("@TGS#abc"), false},
		{"GroupId not ASCII", ValidateGroupID("部屋"), false},
		{"empty GroupId", ValidateGroupID(""), false},
		{"group ref with IM's prefix", ValidateGroupRef("@TGS#abc"), true},
		{"group ref of 49 bytes", ValidateGroupRef(strings.Repeat("g", 49)), false},
		{"Name of 30 bytes", ValidateGroupName(strings.Repeat("n", 30)), true},
		{"Name of 31 bytes", ValidateGroupName(strings.Repeat("n", 31)), false},
		{"Name of 11 kana (33 bytes)", ValidateGroupName(strings.Repeat("あ", 11)), false},
		{"empty Name", ValidateGroupName(""), false},
		{"Introduction of 240 bytes", ValidateIntroduction(strings.Repeat("i", 240)), true},
		{"Introduction of 241 bytes", ValidateIntroduction(strings.Repeat("i", 241)), false},
		{"Notification of 300 bytes", ValidateNotification(strings.Repeat("n", 300)), true},
		{"Notification of 301 bytes", ValidateNotification(strings.Repeat("n", 301)), false},
		{"FaceUrl of 100 bytes", ValidateFaceURL(strings.Repeat("f", 100)), true},
		{"FaceUrl of 101 bytes", ValidateFaceURL(strings.Repeat("f", 101)), false},
		{"field key ADD_GOODS", ValidateFieldKey("ADD_GOODS"), true},
		{"field key of 16 bytes", ValidateFieldKey("room_status_0123"), true},
		{"field key of 17 bytes", ValidateFieldKey("ROOM_STATUS_CHANG"), false},
		{"field key with a leading digit", ValidateFieldKey("1st"), false},
		{"field key with a hyphen", ValidateFieldKey("like-total"), false},
		{"field key with a space", ValidateFieldKey("like total"), false},
		{"empty field key", ValidateFieldKey(""), false},
		{"field value of 512 bytes", ValidateFieldValue(strings.Repeat("v", 512)), true},
		{"field value of 513 bytes", ValidateFieldValue(strings.Repeat("v", 513)), false},
		{"empty field value", ValidateFieldValue(""), true},
		{"10 fields", ValidateFields(fields(10)), true},
		{"11 fields", ValidateFields(fields(11)), false},
		{"a key twice", ValidateFields([]KeyValue{{Key: "a"}, {Key: "a"}}), false},
		{"priority Lowest", ValidatePriority(PriorityLowest), true},
		{"priority Urgent", ValidatePriority("Urgent"), false},
		{"message of 8 KB", ValidateMsgBody([]MsgElem{textOfEncodedSize(MaxMessageBytes)}), true},
		{"message of 8 KB + 1", ValidateMsgBody([]MsgElem{textOfEncodedSize(MaxMessageBytes + 1)}), false},
		{"empty message", ValidateMsgBody(nil), false},
		{"element with bad JSON", ValidateMsgBody([]MsgElem{{MsgType: ElemText, MsgContent: json.RawMessage("{")}}), false},
		{"element without a type", ValidateMsgBody([]MsgElem{{MsgContent: json.RawMessage("{}")}}), false},
		{"level item", ValidateProfileItem(IntProfileItem(TagLevel, 3)), true},
		{"custom item", ValidateProfileItem(StringProfileItem("Tag_Profile_Custom_Badge", strings.Repeat("b", 500))), true},
		{"custom item of 501 bytes", ValidateProfileItem(StringProfileItem("Tag_Profile_Custom_Badge", strings.Repeat("b", 501))), false},
		{"custom tag of 9 letters", ValidateProfileItem(StringProfileItem("Tag_Profile_Custom_Abcdefghi", "x")), false},
		{"custom tag with a digit", ValidateProfileItem(StringProfileItem("Tag_Profile_Custom_Lv2", "x")), false},
		{"item without a value", ValidateProfileItem(ProfileItem{Tag: TagNick}), false},
	}
	for _, tt := range tests {
		if (tt.err == nil) != tt.valid {
			t.Errorf("%s: error %v, want valid=%v", tt.name, tt.err, tt.valid)
			continue
		}
		if tt.err != nil {
			var e *Error
			if !errors.As(tt.err, &e) || e.Kind != KindInvalid || e.Field == "" || e.ErrorCode() != live.EUnprocessable {
				t.Errorf("%s: error %#v is not a KindInvalid *Error naming a field", tt.name, tt.err)
			}
		}
	}
}

func fields(n int) []KeyValue {
	kv := make([]KeyValue, n)
	for i := range kv {
		kv[i] = KeyValue{Key: "k" + strings.Repeat("x", i), Value: "v"}
	}
	return kv
}

// textOfEncodedSize returns a text element whose body [elem] encodes to exactly n bytes.
func textOfEncodedSize(n int) MsgElem {
	e := TextElem("")
	b, _ := json.Marshal([]MsgElem{e})
	return TextElem(strings.Repeat("x", n-len(b)))
}

func TestMsgBodySizeMatchesEncoding(t *testing.T) {
	bodies := [][]MsgElem{
		{TextElem("hello \"world\" ✓ <b>&")},
		{TextElem("a"), CustomElem("SEND_GIFT", `{"gift":"rose","n":3}`), textOfEncodedSize(300)},
		{{MsgType: ElemCustom, MsgContent: json.RawMessage(`{ "Data" : "x",  "Ext": "<i>" }`)}},
		{{MsgType: ElemText, MsgContent: json.RawMessage("{\"Text\":\"line\u2028sep\"}")}},
	}
	for _, body := range bodies {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		if got := msgBodySize(body); got != len(b) {
			t.Errorf("msgBodySize = %d, encoding/json makes %d bytes: %s", got, len(b), b)
		}
	}
}

func TestLimitChecksMakeNoNetworkCall(t *testing.T) {
	f := newFakeIM(t, nil)
	c := newTestClient(t, f.srv.URL)
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("x", n) }
	ptr := func(s string) *string { return &s }
	text := []MsgElem{TextElem("hi")}
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"import empty UserID", func() error { return c.AccountImport(ctx, AccountImportRequest{}) }, "UserID"},
		{"import long UserID", func() error { return c.AccountImport(ctx, AccountImportRequest{UserID: long(33)}) }, "UserID"},
		{"import non-ASCII UserID", func() error { return c.AccountImport(ctx, AccountImportRequest{UserID: "ü"}) }, "UserID"},
		{"create without Name", func() error { _, err := c.CreateGroup(ctx, CreateGroupRequest{}); return err }, "Name"},
		{"create long Name", func() error { _, err := c.CreateGroup(ctx, CreateGroupRequest{Name: long(31)}); return err }, "Name"},
		{"create long Introduction", func() error {
			_, err := c.CreateGroup(ctx, CreateGroupRequest{Name: "n", Introduction: long(241)})
			return err
		}, "Introduction"},
		{"create long Notification", func() error {
			_, err := c.CreateGroup(ctx, CreateGroupRequest{Name: "n", Notification: long(301)})
			return err
		}, "Notification"},
		{"create long FaceUrl", func() error {
			_, err := c.CreateGroup(ctx, CreateGroupRequest{Name: "n", FaceURL: long(101)})
			return err
		}, "FaceUrl"},
		{"create with IM's prefix", func() error {
			_, err := c.CreateGroup(ctx, CreateGroupRequest{Name: "n", GroupID: "@TGS#mine"})
			return err
		}, "GroupId"},
		{"create long GroupId", func() error {
			_, err := c.CreateGroup(ctx, CreateGroupRequest{Name: "n", GroupID: long(49)})
			return err
		}, "GroupId"},
		{"create bad owner", func() error {
			_, err := c.CreateGroup(ctx, CreateGroupRequest{Name: "n", OwnerAccount: long(33)})
			return err
		}, "Owner_Account"},
		{"create bad field key", func() error {
			_, err := c.CreateGroup(ctx, CreateGroupRequest{Name: "n", AppDefinedData: []KeyValue{{Key: "9lives", Value: "x"}}})
			return err
		}, "AppDefinedData.Key"},
		{"set field long key", func() error { return c.SetGroupField(ctx, "r", "ROOM_STATUS_CHANGE", "live") }, "AppDefinedData.Key"},
		{"set field long value", func() error { return c.SetGroupField(ctx, "r", "ADD_GOODS", long(513)) }, "AppDefinedData.Value"},
		{"set field bad group", func() error { return c.SetGroupField(ctx, "", "ADD_GOODS", "x") }, "GroupId"},
		{"modify nothing", func() error { return c.ModifyGroupBaseInfo(ctx, ModifyGroupRequest{GroupID: "r"}) }, "GroupId"},
		{"modify long Notification", func() error { return c.SetGroupNotification(ctx, "r", long(301)) }, "Notification"},
		{"modify long Name", func() error {
			return c.ModifyGroupBaseInfo(ctx, ModifyGroupRequest{GroupID: "r", Name: ptr(long(31))})
		}, "Name"},
		{"modify bad mute", func() error {
			return c.ModifyGroupBaseInfo(ctx, ModifyGroupRequest{GroupID: "r", MuteAllMember: "Yes"})
		}, "MuteAllMember"},
		{"modify 11 fields", func() error {
			return c.ModifyGroupBaseInfo(ctx, ModifyGroupRequest{GroupID: "r", AppDefinedData: fields(11)})
		}, "AppDefinedData"},
		{"destroy group ID not ASCII", func() error { return c.DestroyGroup(ctx, "部屋") }, "GroupId"},
		{"info of 51 groups", func() error {
			ids := make([]string, 51)
			for i := range ids {
				ids[i] = "g"
			}
			_, err := c.GetGroupInfo(ctx, GetGroupInfoRequest{GroupIDList: ids})
			return err
		}, "GroupIdList"},
		{"info of no group", func() error { _, err := c.GetGroupInfo(ctx, GetGroupInfoRequest{}); return err }, "GroupIdList"},
		{"send message over 8 KB", func() error {
			_, err := c.SendGroupMsg(ctx, SendGroupMsgRequest{GroupID: "r", MsgBody: []MsgElem{TextElem(long(MaxMessageBytes))}})
			return err
		}, "MsgBody"},
		{"send empty message", func() error { _, err := c.SendGroupMsg(ctx, SendGroupMsgRequest{GroupID: "r"}); return err }, "MsgBody"},
		{"send bad priority", func() error {
			_, err := c.SendGroupMsg(ctx, SendGroupMsgRequest{GroupID: "r", MsgBody: text, MsgPriority: "high"})
			return err
		}, "MsgPriority"},
		{"send from long account", func() error {
			_, err := c.SendGroupMsg(ctx, SendGroupMsgRequest{GroupID: "r", MsgBody: text, FromAccount: long(33)})
			return err
		}, "From_Account"},
		{"notification empty", func() error {
			return c.SendGroupSystemNotification(ctx, SystemNotificationRequest{GroupID: "r"})
		}, "Content"},
		{"mute 501 members", func() error {
			ids := make([]string, 501)
			for i := range ids {
				ids[i] = "u"
			}
			return c.ForbidSendMsg(ctx, ForbidSendMsgRequest{GroupID: "r", MembersAccount: ids, MuteTime: 60})
		}, "Members_Account"},
		{"mute nobody", func() error { return c.ForbidSendMsg(ctx, ForbidSendMsgRequest{GroupID: "r"}) }, "Members_Account"},
		{"online count of no group", func() error { _, err := c.GetOnlineMemberNum(ctx, ""); return err }, "GroupId"},
		{"portrait set nothing", func() error { return c.PortraitSet(ctx, PortraitSetRequest{FromAccount: "u"}) }, "ProfileItem"},
		{"portrait set bad custom tag", func() error {
			return c.PortraitSet(ctx, PortraitSetRequest{FromAccount: "u", ProfileItem: []ProfileItem{StringProfileItem("Tag_Profile_Custom_TooLongName", "x")}})
		}, "ProfileItem"},
		{"portrait get 101 accounts", func() error {
			ids := make([]string, 101)
			for i := range ids {
				ids[i] = "u"
			}
			_, err := c.PortraitGet(ctx, PortraitGetRequest{ToAccount: ids, TagList: []string{TagLevel}})
			return err
		}, "To_Account"},
		{"portrait get no tags", func() error {
			_, err := c.PortraitGet(ctx, PortraitGetRequest{ToAccount: []string{"u"}})
			return err
		}, "TagList"},
	}
	for _, tt := range tests {
		err := tt.call()
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v, want *Error", tt.name, err)
			continue
		}
		if e.Kind != KindInvalid || e.Field != tt.field || e.Attempts != 0 || e.Call == "" {
			t.Errorf("%s: error %q: kind %v field %q attempts %d call %q", tt.name, err, e.Kind, e.Field, e.Attempts, e.Call)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("invalid requests reached IM %d times", n)
	}
}
