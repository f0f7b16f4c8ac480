package standin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

func withStateFile(path string, every time.Duration) option {
	return func(c *Config) { c.StateFile, c.SaveInterval = path, every }
}

func TestTheStateFileKeepsWhatIMHoldsAcrossARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "var", "standin.json")
	h := newHarness(t, withStateFile(path, time.Hour)).start()
	h.importAccount("alice", "Alice")
	h.importAccount("bob", "")
	h.must(cmdPortraitSet, tim.PortraitSetRequest{FromAccount: "alice", ProfileItem: []tim.ProfileItem{
		tim.IntProfileItem(tim.TagLevel, 3), tim.StringProfileItem("Tag_Profile_Custom_Badge", "gold"),
	}}, nil)
	// Ten field keys fill the app's keys; the group that used them is destroyed, the keys stay.
	var ten []tim.KeyValue
	for i := range 10 {
		ten = append(ten, tim.KeyValue{Key: fmt.Sprintf("k%d", i), Value: "x"})
	}
	h.createGroup("full", ten...)
	h.must(cmdDestroyGroup, tim.GroupIDRequest{GroupID: "full"}, nil)
	h.must(cmdCreateGroup, tim.CreateGroupRequest{Type: tim.GroupTypeAVChatRoom, GroupID: "room", Name: "Autumn coats",
		Introduction: "Wool and tweed", OwnerAccount: "bob", AppDefinedData: []tim.KeyValue{{Key: "k1", Value: "created"}}}, nil)
	notice := "Free shipping tonight"
	h.must(cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", Notification: &notice, MuteAllMember: "On",
		AppDefinedData: []tim.KeyValue{{Key: "k1", Value: "live"}, {Key: "k2", Value: `{"id":"coat-7"}`}}}, nil)
	if status := h.viewer("POST", groupPath("room")+"/members", "alice", nil, nil); status != 200 {
		t.Fatalf("alice joins: %d", status)
	}
	h.must(cmdForbidSendMsg, tim.ForbidSendMsgRequest{GroupID: "room", MembersAccount: []string{"bob"}, MuteTime: 600}, nil)
	if r := h.sendText("room", "", 1, "welcome"); r.MsgSeq != 1 {
		t.Fatalf("first message: %+v", r)
	}
	before, _ := h.im.Group("room")
	h.im.Close()

	h2 := newHarness(t, withStateFile(path, time.Hour)).start()
	after, ok := h2.im.Group("room")
	if !ok {
		t.Fatal("the group is gone after the restart")
	}
	if after.Name != "Autumn coats" || after.Introduction != "Wool and tweed" || after.Notification != notice ||
		after.Owner != "bob" || !after.MuteAllMember || !after.CreatedAt.Equal(before.CreatedAt) || after.LastSeq != 1 {
		t.Errorf("group after the restart %+v, before %+v", after, before)
	}
	if after.Fields["k1"] != "live" || after.Fields["k2"] != `{"id":"coat-7"}` || len(after.Fields) != 2 {
		t.Errorf("fields after the restart %v", after.Fields)
	}
	if strings.Join(after.Members, ",") != "alice" {
		t.Errorf("members after the restart %v, want alice", after.Members)
	}
	if until, muted := after.Muted["bob"]; !muted || !until.Equal(before.Muted["bob"]) {
		t.Errorf("bob's mute after the restart: %v, before %v", after.Muted, before.Muted)
	}
	if _, ok := h2.im.Group("full"); ok {
		t.Error("a destroyed group came back")
	}
	if n := len(h2.im.Messages("room")); n != 0 {
		t.Errorf("%d messages of history after the restart, want none kept", n)
	}
	profile, ok := h2.im.Profile("alice")
	if !ok || string(profile[tim.TagNick]) != `"Alice"` || string(profile[tim.TagLevel]) != "3" || string(profile["Tag_Profile_Custom_Badge"]) != `"gold"` {
		t.Errorf("alice's profile after the restart: %v (found %v)", profile, ok)
	}
	if _, ok := h2.im.Profile("bob"); !ok {
		t.Error("bob's account is gone after the restart")
	}

	// The keys are still the app's: an eleventh is refused.
	h2.wantCode(codeBadParam, cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", AppDefinedData: []tim.KeyValue{{Key: "k10", Value: "x"}}})
	// alice is still a member and carries on where she was; MsgSeq goes on.
	var joined struct{ Status string }
	if status := h2.viewer("POST", groupPath("room")+"/members", "alice", nil, &joined); status != 200 || joined.Status != "AlreadyInGroup" {
		t.Errorf("alice joins again: %d %+v, want AlreadyInGroup", status, joined)
	}
	h2.must(cmdModifyGroup, tim.ModifyGroupRequest{GroupID: "room", MuteAllMember: "Off"}, nil)
	var sent struct{ MsgSeq uint64 }
	if status := h2.viewer("POST", groupPath("room")+"/messages", "alice", map[string]string{"text": "still here"}, &sent); status != 200 || sent.MsgSeq != 2 {
		t.Errorf("alice sends: %d %+v, want MsgSeq 2", status, sent)
	}
	if status := h2.viewer("POST", groupPath("room")+"/messages", "bob", map[string]string{"text": "hi"}, nil); status != 403 {
		t.Errorf("muted bob sends: %d, want 403", status)
	}
}

func TestTheStateIsSavedWhileTheStandInRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "standin.json")
	h := newHarness(t, withStateFile(path, 10*time.Millisecond)).start()
	h.importAccount("carol", "Carol")
	h.createGroup("room-2", tim.KeyValue{Key: "room_status", Value: "live"})
	eventually(t, "the state file holds the group", func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), `"room-2"`) && strings.Contains(string(b), `"carol"`)
	})
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("state file mode %v, want 0600", perm)
	}
	// Another stand-in started on the file now, without the first one closing, knows the group.
	other := newHarness(t, withStateFile(path, time.Hour))
	defer other.im.Close()
	if g, ok := other.im.Group("room-2"); !ok || g.Fields["room_status"] != "live" {
		t.Fatalf("group read from the file: %+v, %v", g, ok)
	}
}

func TestTheStateOfAnotherAppIsNotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "standin.json")
	h := newHarness(t, withStateFile(path, time.Hour)).start()
	h.createGroup("room-3")
	h.im.Close()
	other, err := New(Config{SDKAppID: testAppID + 1, SecretKey: testKey, Admin: testAdmin, StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, ok := other.Group("room-3"); ok {
		t.Fatal("an app read the groups of another app")
	}
}

func TestABrokenStateFileIsRefusedWithAHint(t *testing.T) {
	for name, content := range map[string]string{
		"torn":          `{"version":1,"groups":[`,
		"later version": `{"version":2}`,
		"bad group":     fmt.Sprintf(`{"version":1,"sdkAppId":%d,"groups":[{"id":"","type":"AVChatRoom"}]}`, testAppID),
	} {
		path := filepath.Join(t.TempDir(), "standin.json")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		im, err := New(Config{SDKAppID: testAppID, SecretKey: testKey, Admin: testAdmin, StateFile: path})
		if err == nil {
			im.Close()
			t.Errorf("%s: New accepted %s", name, content)
			continue
		}
		if !strings.Contains(err.Error(), "delete it") {
			t.Errorf("%s: %v, want a hint to delete the file", name, err)
		}
	}
}

func TestEveryCloseReturnsOnceTheStateIsWritten(t *testing.T) {
	for i := range 20 {
		path := filepath.Join(t.TempDir(), "standin.json")
		h := newHarness(t, withStateFile(path, time.Hour)).start()
		h.createGroup(fmt.Sprintf("room-%d", i))
		started := make(chan struct{})
		go func() { close(started); h.im.Close() }()
		<-started
		h.im.Close()
		b, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(b), fmt.Sprintf(`"room-%d"`, i)) {
			t.Fatalf("after the second Close returned, the state file holds %q (%v)", b, err)
		}
	}
}
