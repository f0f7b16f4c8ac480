package main

import (
	"context"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

// functionNames returns the sorted names of the functions the dev server runs.
func functionNames() []string {
	var names []string
	for _, def := range functions {
		names = append(names, def.Name)
	}
	slices.Sort(names)
	return names
}

// TestTheDevServerServesExactlyEveryFunctionsRoutes assembles each function alone, as it is
// deployed, and holds the dev server to the union of their routes: a route added to a function
// reaches the dev server, and the dev server serves nothing of its own.
func TestTheDevServerServesExactlyEveryFunctionsRoutes(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var deployed []string
	for _, d := range dirs {
		deployed = append(deployed, d.Name())
	}
	if assembled := functionNames(); !slices.Equal(deployed, assembled) {
		t.Fatalf("functions/ holds %v, the dev server runs %v", deployed, assembled)
	}

	var union []string
	for _, fn := range deployedFunctions(t) {
		union = append(union, fn.routes...)
	}
	slices.Sort(union)
	union = slices.Compact(union)

	env := map[string]string{"STORE": "bolt:" + filepath.Join(t.TempDir(), "uriba.db")}
	s, err := newSettings(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	s.setBaseURL("http://127.0.0.1:1")
	srv, err := newServer(context.Background(), s, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	served := srv.router.Routes()
	slices.Sort(served)
	if !slices.Equal(served, union) {
		t.Fatalf("the dev server serves\n  %s\nthe functions serve\n  %s", strings.Join(served, "\n  "), strings.Join(union, "\n  "))
	}
}

// TestTheDevServerHonoursEveryFunctionsSettings sets one setting of each function that has any
// beyond IM's and sees its effect through the dev server.
func TestTheDevServerHonoursEveryFunctionsSettings(t *testing.T) {
	const key = "mk_settings"
	base := devServer(t, map[string]string{
		"URIBA_DEV_MERCHANT_KEY": key,
		"ROOM_FIELD_STATUS":      "live_state", // productpublisher
		"MODERATION_MODE":        "mask",       // imcallback
		"LEVEL_XP":               "chat=40",    // levelupdater
	})
	auth := map[string]string{"Authorization": "Bearer " + key}
	if status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-set","title":"Settings","anchorId":"anchor-3"}`, auth); status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	mei := newViewer(t, base, key, "mei")
	if status, body := mei.post(t, "/standin/groups/room-set/members", ""); status != 200 {
		t.Fatalf("join: %d %s", status, body)
	}
	texts := roomStream(t, mei, "room-set", tim.ElemText)
	if status, body := mei.post(t, "/standin/groups/room-set/messages", `{"text":"加微信 please"}`); status != 200 {
		t.Fatalf("a banned word in mask mode: %d %s, want it delivered masked", status, body)
	}
	select {
	case m, ok := <-texts:
		if !ok {
			t.Fatal("the event stream ended before the masked message")
		}
		if !strings.Contains(string(m.Payload), "*** please") {
			t.Fatalf("delivered %s, want the banned word masked", m.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the masked message never reached the room")
	}
	var profile struct {
		Fields []struct{ Key, Value string } `json:"groupCustomField"`
	}
	getJSON(t, base+"/standin/groups/room-set?userId=mei&userSig="+url.QueryEscape(mei.sig), "", &profile)
	if !slices.Contains(profile.Fields, struct{ Key, Value string }{"live_state", "created"}) {
		t.Fatalf("group fields %v, want live_state set by ROOM_FIELD_STATUS", profile.Fields)
	}
	var level struct {
		XP int64 `json:"xp"`
	}
	for deadline := time.Now().Add(10 * time.Second); level.XP != 40; time.Sleep(50 * time.Millisecond) {
		getJSON(t, base+"/v1/users/mei/level", key, &level)
		if time.Now().After(deadline) {
			t.Fatalf("level %+v, want the 40 XP LEVEL_XP gives a chat", level)
		}
	}
}
