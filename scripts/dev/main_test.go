package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"

	"github.com/uriba-live/uriba/shared/httpapi"
)

// devServer runs the dev server on a free loopback port until the test ends and returns its base
// URL.
func devServer(t testing.TB, env map[string]string) string {
	t.Helper()
	base, _, stop := startDevServer(t, env)
	t.Cleanup(stop)
	return base
}

// startDevServer runs the dev server on a free loopback port, with a store in a temporary folder
// unless env sets STORE. It returns the server's base URL, its banner, and stop, which stops it
// and waits until it has.
func startDevServer(t testing.TB, env map[string]string) (base, banner string, stop func()) {
	t.Helper()
	env["URIBA_ADDR"] = "127.0.0.1:0"
	if env["STORE"] == "" {
		env["STORE"] = "bolt:" + filepath.Join(t.TempDir(), "uriba.db")
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, pw, os.Stderr); pw.Close() }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			// A connection the client opened but never used holds up a graceful shutdown for 5 s.
			http.DefaultClient.CloseIdleConnections()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("dev server stopped with %v", err)
				}
			// A stopping dev server first drains its activity queue, including like-total jobs held
			// until their interval ends, which takes a few seconds on a loaded machine.
			case <-time.After(15 * time.Second):
				t.Error("dev server did not stop within 15 s of cancellation")
			}
		})
	}
	lines := bufio.NewScanner(pr)
	var b strings.Builder
	for lines.Scan() {
		b.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "Press Ctrl-C") {
			break
		}
	}
	banner = b.String()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	first, _, _ := strings.Cut(banner, "\n")
	i := strings.Index(first, "http://")
	if i < 0 {
		stop()
		t.Fatalf("first line %q names no URL", first)
	}
	return first[i:], banner, stop
}

func postJSON(t testing.TB, u, body string, header map[string]string) (int, []byte) {
	t.Helper()
	return send(t, "POST", u, body, header)
}

// send sends a JSON request with the given headers and returns the status and the body.
func send(t testing.TB, method, u, body string, header map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestDevServerIssuesUserSigsAgainstTheStandIn(t *testing.T) {
	const appID, secret, admin, key = 1400000777, "0123456789abcdef0123456789abcdef", "administrator", "mk_test"
	base := devServer(t, map[string]string{
		"IM_SDKAPPID": fmt.Sprint(appID), "IM_SECRET_KEY": secret, "IM_ADMIN": admin, "URIBA_DEV_MERCHANT_KEY": key,
	})

	status, body := postJSON(t, base+"/v1/users/viewer-1/usersig", "", map[string]string{"Authorization": "Bearer " + key})
	if status != 200 {
		t.Fatalf("usersig: %d %s", status, body)
	}
	var got struct {
		UserID    string    `json:"userId"`
		SDKAppID  int       `json:"sdkAppId"`
		UserSig   string    `json:"userSig"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.UserID != "viewer-1" || got.SDKAppID != appID || got.ExpiresAt.Before(time.Now().Add(time.Hour)) {
		t.Fatalf("unexpected reply %s", body)
	}
	if err := tencentyun.VerifyUserSig(appID, secret, "viewer-1", got.UserSig, time.Now()); err != nil {
		t.Fatalf("the UserSig does not verify with the app's key: %v", err)
	}

	// The account now exists in the stand-in: its profile can be read over IM's REST API.
	sig, _ := tencentyun.GenUserSig(appID, secret, admin, 600)
	q := url.Values{"sdkappid": {fmt.Sprint(appID)}, "identifier": {admin}, "usersig": {sig}, "random": {"7"}, "contenttype": {"json"}}
	status, body = postJSON(t, base+"/v4/profile/portrait_get?"+q.Encode(),
		`{"To_Account":["viewer-1","nobody"],"TagList":["Tag_Profile_IM_Nick"]}`, nil)
	var profiles struct {
		ActionStatus    string
		UserProfileItem []struct {
			ToAccount  string `json:"To_Account"`
			ResultCode int
		}
	}
	_ = json.Unmarshal(body, &profiles)
	found := map[string]int{}
	for _, p := range profiles.UserProfileItem {
		found[p.ToAccount] = p.ResultCode
	}
	if status != 200 || found["viewer-1"] != 0 || found["nobody"] == 0 {
		t.Fatalf("portrait_get after usersig: %d %s", status, body)
	}
}

func TestDevServerRefusesBadRequests(t *testing.T) {
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": "mk_right"})
	for _, c := range []struct {
		name, path, key string
		status          int
		code            string
	}{
		{"no key", "/v1/users/u1/usersig", "", 401, "unauthorized"},
		{"wrong key", "/v1/users/u1/usersig", "mk_wrong", 401, "unauthorized"},
		{"user id over 32 bytes", "/v1/users/" + strings.Repeat("u", 33) + "/usersig", "mk_right", 400, "invalid_request"},
		{"control character", "/v1/users/u%01x/usersig", "mk_right", 400, "invalid_request"},
		{"unknown route", "/v1/nothing", "mk_right", 404, "not_found"},
	} {
		header := map[string]string{}
		if c.key != "" {
			header["Authorization"] = "Bearer " + c.key
		}
		status, body := postJSON(t, base+c.path, "", header)
		var p struct{ Code string }
		_ = json.Unmarshal(body, &p)
		if status != c.status || p.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, body, c.status, c.code)
		}
	}
	status, body := postJSON(t, base+"/v1/users/u1/usersig", `{"oops"`, map[string]string{"Authorization": "Bearer mk_right"})
	if status != 400 || !strings.Contains(string(body), "malformed_json") {
		t.Errorf("malformed JSON: %d %s", status, body)
	}
	resp, err := http.Get(base + "/v1/users/u1/usersig")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET on a POST route: %d", resp.StatusCode)
	}
}

func TestDevServerAcceptsConfiguredMerchantDigestsToo(t *testing.T) {
	sum := sha256.Sum256([]byte("mk_ops"))
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": "mk_dev", "MERCHANT_KEY_SHA256": hex.EncodeToString(sum[:])})
	for _, key := range []string{"mk_dev", "mk_ops"} {
		if status, body := postJSON(t, base+"/v1/users/u1/usersig", "", map[string]string{"Authorization": "Bearer " + key}); status != 200 {
			t.Errorf("%s: %d %s", key, status, body)
		}
	}
}

func TestEveryRouteIsDocumented(t *testing.T) {
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
	missing, extra := httpapi.UndocumentedRoutes(httpapi.OpenAPIDocument(), srv.router.Routes())
	if len(missing) > 0 {
		t.Errorf("served but missing from openapi.json: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("documented in openapi.json but not served: %v", extra)
	}
}

func TestDevServerRunsALiveRoom(t *testing.T) {
	const key = "mk_rooms"
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": key})
	auth := map[string]string{"Authorization": "Bearer " + key}
	status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-dev-1","title":"Autumn coats","anchorId":"anchor-1"}`, auth)
	if status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	req, _ := http.NewRequest("PUT", base+"/v1/rooms/room-dev-1/status", strings.NewReader(`{"status":"live"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("go live: %d", resp.StatusCode)
	}
	status, body = postJSON(t, base+"/v1/rooms/room-dev-1/products",
		`{"productId":"coat-7","name":"Wool coat","price":"19800","currency":"JPY"}`, auth)
	if status != 200 {
		t.Fatalf("pin product: %d %s", status, body)
	}

	// A viewer who joins now reads the status and the product from the group profile.
	_, body = postJSON(t, base+"/v1/users/late-viewer/usersig", "", auth)
	var sig struct{ UserSig string }
	_ = json.Unmarshal(body, &sig)
	resp, err = http.Get(base + "/standin/groups/room-dev-1?userId=late-viewer&userSig=" + url.QueryEscape(sig.UserSig))
	if err != nil {
		t.Fatal(err)
	}
	profile, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`"room_status"`, `"live"`, `"ADD_GOODS"`, `coat-7`} {
		if !strings.Contains(string(profile), want) {
			t.Errorf("group profile lacks %s: %s", want, profile)
		}
	}
}

// viewer is a viewer of the dev server's stand-in, with its UserSig.
type viewer struct {
	base, id, sig string
}

func newViewer(t testing.TB, base, key, id string) viewer {
	t.Helper()
	status, body := postJSON(t, base+"/v1/users/"+id+"/usersig", "", map[string]string{"Authorization": "Bearer " + key})
	var got struct{ UserSig string }
	if err := json.Unmarshal(body, &got); status != 200 || err != nil {
		t.Fatalf("usersig for %s: %d %s", id, status, body)
	}
	return viewer{base: base, id: id, sig: got.UserSig}
}

func (v viewer) post(t testing.TB, path, body string) (int, []byte) {
	t.Helper()
	return postJSON(t, v.base+path, body, map[string]string{"Authorization": "UserSig " + v.sig, "X-User-Id": v.id})
}

func getJSON(t *testing.T, u, key string, into any) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, into) != nil {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
}

func TestDevServerModeratesChatAndRaisesLevels(t *testing.T) {
	const key = "mk_chat"
	const secret = "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": key, "IM_CALLBACK_TOKEN": "dev-token", "IM_SECRET_KEY": secret})
	auth := map[string]string{"Authorization": "Bearer " + key}
	if status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-chat","title":"Tea tasting","anchorId":"anchor-2"}`, auth); status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	mei := newViewer(t, base, key, "mei")
	if status, body := mei.post(t, "/standin/groups/room-chat/members", ""); status != 200 {
		t.Fatalf("join: %d %s", status, body)
	}

	// A banned word, even spaced out and in full width, never reaches the room.
	status, body := mei.post(t, "/standin/groups/room-chat/messages", `{"text":"加 微 信 ｔｅａ１２３ 优惠"}`)
	if status < 400 || !strings.Contains(string(body), "10101") {
		t.Fatalf("banned word: %d %s, want a refusal with code 10101", status, body)
	}
	// Clean chat and likes are delivered and counted.
	for i := range 3 {
		if status, body := mei.post(t, "/standin/groups/room-chat/messages", fmt.Sprintf(`{"text":"この香り、最高です %d"}`, i)); status != 200 {
			t.Fatalf("chat: %d %s", status, body)
		}
	}
	if status, body := mei.post(t, "/standin/groups/room-chat/messages",
		`{"custom":{"data":"LIKE","description":"","extension":"{\"count\":5}"},"priority":"Low"}`); status != 200 {
		t.Fatalf("like: %d %s", status, body)
	}
	// A viewer cannot fake a paid gift.
	if status, body := mei.post(t, "/standin/groups/room-chat/messages",
		`{"custom":{"data":"SEND_GIFT","description":"","extension":"{\"giftId\":\"rocket\"}"}}`); status < 400 {
		t.Fatalf("forged gift: %d %s, want a refusal", status, body)
	}

	var room struct {
		Stats struct{ Likes, Viewers, PeakViewers int64 }
	}
	var level struct {
		XP    int64 `json:"xp"`
		Level int   `json:"level"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		getJSON(t, base+"/v1/rooms/room-chat", key, &room)
		getJSON(t, base+"/v1/users/mei/level", key, &level)
		// 3 chats × 2 XP + 5 likes × 1 XP, credited through the in-process activity queue.
		if room.Stats.Likes == 5 && room.Stats.Viewers == 1 && level.XP == 11 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("room stats %+v, level %+v; want 5 likes, 1 viewer and 11 XP", room.Stats, level)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if level.Level != 1 {
		t.Fatalf("level %d at 11 XP", level.Level)
	}
	var summary struct {
		Messages, Likes int64
	}
	getJSON(t, base+"/v1/rooms/room-chat/summary", key, &summary)
	if summary.Messages != 3 || summary.Likes != 5 {
		t.Fatalf("summary %+v, want the 3 delivered chat messages and 5 likes", summary)
	}

	// 44 more likes take mei past 50 XP: level 2 reaches her IM profile, where every client reads it.
	if status, body := mei.post(t, "/standin/groups/room-chat/messages",
		`{"custom":{"data":"LIKE","description":"","extension":"{\"count\":44}"},"priority":"Low"}`); status != 200 {
		t.Fatalf("like: %d %s", status, body)
	}
	sig, _ := tencentyun.GenUserSig(1400000001, secret, "administrator", 600)
	q := url.Values{"sdkappid": {"1400000001"}, "identifier": {"administrator"}, "usersig": {sig}, "random": {"9"}, "contenttype": {"json"}}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, body := postJSON(t, base+"/v4/profile/portrait_get?"+q.Encode(), `{"To_Account":["mei"],"TagList":["Tag_Profile_IM_Level"]}`, nil)
		if strings.Contains(string(body), `"Tag":"Tag_Profile_IM_Level","Value":2`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the level never reached mei's profile: %s", body)
		}
	}
	getJSON(t, base+"/v1/users/mei/level", key, &level)
	if level.Level != 2 || level.XP != 55 {
		t.Fatalf("level %+v, want level 2 at 55 XP", level)
	}
}
