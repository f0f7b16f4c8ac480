package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// bannerMerchantKey returns the merchant key the banner prints.
func bannerMerchantKey(t *testing.T, banner string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Merchant key: (\S+)$`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("the banner prints no merchant key:\n%s", banner)
	}
	return m[1]
}

// viewersOf returns the viewers counted in roomID now.
func viewersOf(t *testing.T, base, key, roomID string) int64 {
	t.Helper()
	var room struct{ Stats struct{ Viewers int64 } }
	getJSON(t, base+"/v1/rooms/"+roomID, key, &room)
	return room.Stats.Viewers
}

func waitViewers(t *testing.T, base, key, roomID string, want int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		n := viewersOf(t, base, key, roomID)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s counts %d viewers, want %d", roomID, n, want)
		}
	}
}

// TestTheDevServerSurvivesARestart stops the dev server and starts it again on the same folder,
// with nothing set in the environment but the store: the generated merchant key and IM secret
// are the same, so UserSigs issued before still work, and IM still knows the room the store holds.
func TestTheDevServerSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	store := "bolt:" + filepath.Join(dir, "uriba.db")
	base, banner, stop := startDevServer(t, map[string]string{"STORE": store})
	t.Cleanup(stop)
	key := bannerMerchantKey(t, banner)
	auth := map[string]string{"Authorization": "Bearer " + key}
	if status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-again","title":"Winter boots","anchorId":"anchor-9"}`, auth); status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	kiko := newViewer(t, base, key, "kiko")
	ren := newViewer(t, base, key, "ren") // joins only after the restart
	if status, body := kiko.post(t, "/standin/groups/room-again/members", ""); status != 200 {
		t.Fatalf("kiko joins: %d %s", status, body)
	}
	waitViewers(t, base, key, "room-again", 1)
	stop()

	secrets, err := os.Stat(filepath.Join(dir, "dev-secrets.json"))
	if err != nil {
		t.Fatalf("no secrets file next to the store: %v", err)
	}
	if perm := secrets.Mode().Perm(); perm != 0o600 {
		t.Errorf("secrets file mode %v, want 0600", perm)
	}
	if _, err := os.Stat(filepath.Join(dir, "standin.json")); err != nil {
		t.Errorf("no IM stand-in state next to the store: %v", err)
	}

	base, banner, stop = startDevServer(t, map[string]string{"STORE": store})
	t.Cleanup(stop)
	if got := bannerMerchantKey(t, banner); got != key {
		t.Fatalf("merchant key %q after the restart, was %q", got, key)
	}
	if !strings.Contains(banner, filepath.Join(dir, "dev-secrets.json")) || !strings.Contains(banner, "delete the file") {
		t.Errorf("the banner does not say where the secrets are kept and how to reset them:\n%s", banner)
	}
	kiko.base, ren.base = base, base

	// The store still has the room, and the old merchant key reads it.
	var room struct{ Title, Status string }
	getJSON(t, base+"/v1/rooms/room-again", key, &room)
	if room.Title != "Winter boots" || room.Status != "created" {
		t.Fatalf("room after the restart: %+v", room)
	}
	// IM still knows the group and its members: UserSigs issued before the restart join it, and
	// kiko, who never left, is not counted twice.
	var joined struct{ Status string }
	status, body := kiko.post(t, "/standin/groups/room-again/members", "")
	if _ = json.Unmarshal(body, &joined); status != 200 || joined.Status != "AlreadyInGroup" {
		t.Fatalf("kiko joins again with her old UserSig: %d %s, want AlreadyInGroup", status, body)
	}
	status, body = ren.post(t, "/standin/groups/room-again/members", "")
	if _ = json.Unmarshal(body, &joined); status != 200 || joined.Status != "JoinedSuccess" {
		t.Fatalf("ren joins with the UserSig issued before the restart: %d %s", status, body)
	}
	waitViewers(t, base, key, "room-again", 2)
	time.Sleep(200 * time.Millisecond)
	if n := viewersOf(t, base, key, "room-again"); n != 2 {
		t.Fatalf("%d viewers after kiko reconnected and ren joined, want 2", n)
	}

	// Room changes reach the group IM still knows.
	if status, code := request(t, base, "PUT", "/v1/rooms/room-again/status", `{"status":"live"}`, auth); status != 200 {
		t.Fatalf("go live after the restart: %d %s", status, code)
	}
	if status, body := postJSON(t, base+"/v1/rooms/room-again/products",
		`{"productId":"boot-3","name":"Lined boots","price":"12800","currency":"JPY"}`, auth); status != 200 {
		t.Fatalf("pin a product after the restart: %d %s", status, body)
	}
	var profile struct {
		Fields []struct{ Key, Value string } `json:"groupCustomField"`
	}
	getJSON(t, base+"/standin/groups/room-again?userId=ren&userSig="+url.QueryEscape(ren.sig), "", &profile)
	fields := fmt.Sprint(profile.Fields)
	if !strings.Contains(fields, "{room_status live}") || !strings.Contains(fields, "boot-3") {
		t.Fatalf("group fields after the restart %s, want the status and the product", fields)
	}
}

// TestTheEnvironmentOverridesKeptSecrets starts the dev server on a folder whose secrets file an
// earlier start wrote, with the merchant key and the IM secret set in the environment: those
// win, and the file keeps its values for a start without them.
func TestTheEnvironmentOverridesKeptSecrets(t *testing.T) {
	dir := t.TempDir()
	store := "bolt:" + filepath.Join(dir, "uriba.db")
	_, banner, stop := startDevServer(t, map[string]string{"STORE": store})
	stop()
	kept := bannerMerchantKey(t, banner)

	const secret, key = "5f4dcc3b5aa765d61d8327deb882cf99", "mk_from_env"
	base, banner, stop := startDevServer(t, map[string]string{"STORE": store, "IM_SECRET_KEY": secret, "URIBA_DEV_MERCHANT_KEY": key})
	t.Cleanup(stop)
	if got := bannerMerchantKey(t, banner); got != key {
		t.Fatalf("banner merchant key %q, want the environment's", got)
	}
	if status, _ := postJSON(t, base+"/v1/users/u1/usersig", "", map[string]string{"Authorization": "Bearer " + kept}); status != 401 {
		t.Errorf("the kept merchant key: %d, want 401 while the environment sets another", status)
	}
	status, body := postJSON(t, base+"/v1/users/u1/usersig", "", map[string]string{"Authorization": "Bearer " + key})
	var got struct{ UserSig string }
	if err := json.Unmarshal(body, &got); status != 200 || err != nil {
		t.Fatalf("usersig with the environment's key: %d %s", status, body)
	}
	if err := tencentyun.VerifyUserSig(1400000001, secret, "u1", got.UserSig, time.Now()); err != nil {
		t.Fatalf("the UserSig is not made with the environment's IM secret: %v", err)
	}
	var file map[string]string
	b, _ := os.ReadFile(filepath.Join(dir, "dev-secrets.json"))
	if err := json.Unmarshal(b, &file); err != nil || file["URIBA_DEV_MERCHANT_KEY"] != kept || file["IM_SECRET_KEY"] == secret {
		t.Fatalf("the secrets file changed under the environment's values: %v", err)
	}
}
