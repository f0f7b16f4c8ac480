package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// devServer runs the dev server on a free loopback port and returns its base URL.
func devServer(t *testing.T, env map[string]string) string {
	t.Helper()
	env["URIBA_ADDR"] = "127.0.0.1:0"
	if env["STORE"] == "" {
		env["STORE"] = "bolt:" + filepath.Join(t.TempDir(), "uriba.db")
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, pw, io.Discard); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("dev server stopped with %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("dev server did not stop within 5 s of cancellation")
		}
	})
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("dev server printed nothing: %v", <-done)
	}
	first := lines.Text()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	i := strings.Index(first, "http://")
	if i < 0 {
		t.Fatalf("first line %q names no URL", first)
	}
	return first[i:]
}

func postJSON(t *testing.T, u, body string, header map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
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
