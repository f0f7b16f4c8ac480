package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"

	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/function/pushurl"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/standin"
)

const (
	appID       = functiontest.AppID
	secretKey   = functiontest.SecretKey
	merchantKey = functiontest.MerchantKey
)

// testEnv starts the IM stand-in on loopback and returns the function's environment pointed at it.
func testEnv(t *testing.T) (map[string]string, *standin.IM) {
	t.Helper()
	env := functiontest.New(t)
	return env.Vars, env.IM
}

func fixture(t *testing.T, name, key string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("{{MERCHANT_KEY}}"), []byte(key))
}

// checkUserSig asserts that body is a UserSig reply for userID that verifies with the app's key.
func checkUserSig(t *testing.T, body, userID string) {
	t.Helper()
	var got struct {
		UserID   string `json:"userId"`
		SDKAppID int    `json:"sdkAppId"`
		UserSig  string `json:"userSig"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if got.UserID != userID || got.SDKAppID != appID {
		t.Fatalf("reply %s", body)
	}
	if err := tencentyun.VerifyUserSig(appID, secretKey, userID, got.UserSig, time.Now()); err != nil {
		t.Fatalf("UserSig does not verify: %v", err)
	}
}

func newTestFunction(t *testing.T, env map[string]string) platform.Function {
	t.Helper()
	fn, _, err := functiontest.Try(pushurl.Definition, func(k string) string { return env[k] }, true)
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

func TestUserSigThroughLambdaFunctionURL(t *testing.T) {
	env, im := testEnv(t)
	h := platform.LambdaHandler(newTestFunction(t, env))

	r := functiontest.Invoke(t, h, fixture(t, "usersig-lambda-url.json", merchantKey))
	if r.StatusCode != 200 {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
	checkUserSig(t, r.Body, "mei")
	if _, ok := im.Profile("mei"); !ok {
		t.Fatal("the account was not imported into IM")
	}

	r = functiontest.Invoke(t, h, fixture(t, "usersig-lambda-url.json", "mk_wrong"))
	if r.StatusCode != 401 || r.Headers["Content-Type"] != "application/problem+json" || !strings.Contains(r.Body, `"unauthorized"`) {
		t.Fatalf("wrong key: %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
}

func TestUserSigThroughSCFAPIGateway(t *testing.T) {
	env, im := testEnv(t)
	h := platform.SCFHandler(newTestFunction(t, env))

	r := functiontest.Invoke(t, h, fixture(t, "usersig-scf-apigw.json", merchantKey))
	if r.StatusCode != 200 {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
	checkUserSig(t, r.Body, "mei")
	if _, ok := im.Profile("mei"); !ok {
		t.Fatal("the account was not imported into IM")
	}
	r = functiontest.Invoke(t, h, fixture(t, "usersig-scf-apigw.json", ""))
	if r.StatusCode != 401 {
		t.Fatalf("no key: %d %s", r.StatusCode, r.Body)
	}
}

func TestIMUnreachableIsABadGateway(t *testing.T) {
	env, _ := testEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env["IM_BASE_URL"] = "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	h := platform.LambdaHandler(newTestFunction(t, env))
	r := functiontest.Invoke(t, h, fixture(t, "usersig-lambda-url.json", merchantKey))
	if r.StatusCode != 502 || !strings.Contains(r.Body, `"im_unavailable"`) {
		t.Fatalf("unreachable IM: %d %s", r.StatusCode, r.Body)
	}
}

func TestConfigurationProblemsAreReportedTogether(t *testing.T) {
	_, _, err := functiontest.Try(pushurl.Definition, func(string) string { return "" }, true)
	if err == nil {
		t.Fatal("started without configuration")
	}
	for _, name := range []string{"IM_SDKAPPID", "IM_SECRET_KEY", "MERCHANT_KEY_SHA256"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

// TestUnderLambdaRuntimeEmulator builds the function as it is deployed and runs it under
// aws-lambda-rie, which speaks the Lambda Runtime API to it on loopback.
func TestUnderLambdaRuntimeEmulator(t *testing.T) {
	rie := lookTool(t, "aws-lambda-rie")
	env, _ := testEnv(t)
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr, apiAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })

	// The emulator starts listening in its own time: try until it answers, gives up or exits.
	url := "http://" + addr + "/2015-03-31/functions/function/invocations"
	event := fixture(t, "usersig-lambda-url.json", merchantKey)
	var resp *http.Response
	var err error
	retry := time.NewTicker(100 * time.Millisecond)
	defer retry.Stop()
	deadline := time.After(15 * time.Second)
	for {
		if resp, err = http.Post(url, "application/json", bytes.NewReader(event)); err == nil {
			break
		}
		select {
		case <-retry.C:
		case werr := <-exited:
			exited <- werr // for the cleanup
			t.Fatalf("the emulator exited (%v) before answering: %v\n%s", werr, err, logs.String())
		case <-deadline:
			t.Fatalf("the emulator did not answer: %v\n%s", err, logs.String())
		}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r functiontest.Reply
	if err := json.Unmarshal(raw, &r); err != nil || r.StatusCode != 200 {
		t.Fatalf("invocation reply %s (%v)\n%s", raw, err, logs.String())
	}
	checkUserSig(t, r.Body, "mei")
}

// lookTool finds an installed test tool; scripts/tools installs them. Without it the test fails
// under scripts/test (URIBA_INTEGRATION set) and is skipped in a plain go test.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	if p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", name); fileExists(p) {
		return p
	}
	if os.Getenv("URIBA_INTEGRATION") != "" {
		t.Fatalf("%s is not installed: run scripts/tools", name)
	}
	t.Skipf("%s is not installed: run scripts/tools", name)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestIMRateLimitedIsServiceUnavailable(t *testing.T) {
	env, _ := testEnv(t)
	calls := 0
	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		_, _ = io.WriteString(w, `{"ActionStatus":"FAIL","ErrorCode":60007,"ErrorInfo":"REST API frequency limit"}`)
	}))
	defer limited.Close()
	env["IM_BASE_URL"] = limited.URL
	h := platform.LambdaHandler(newTestFunction(t, env))
	r := functiontest.Invoke(t, h, fixture(t, "usersig-lambda-url.json", merchantKey))
	if r.StatusCode != 503 || !strings.Contains(r.Body, `"im_rate_limited"`) || r.Headers["Retry-After"] == "" {
		t.Fatalf("rate-limited IM: %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
	if calls < 2 {
		t.Fatalf("IM was called %d times: a rate-limited call must be retried", calls)
	}
}
