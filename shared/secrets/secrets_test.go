package secrets

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// extension is a loopback stand-in for the AWS Parameters and Secrets Lambda Extension: it
// answers GET /systemsmanager/parameters/get for the parameters it holds, to callers with the
// right token, after refusing the first notReady calls as the extension does while it starts.
type extension struct {
	params   map[string]string
	token    string
	notReady int32
	calls    atomic.Int32
}

func (x *extension) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := x.calls.Add(1)
	if r.URL.Path != "/systemsmanager/parameters/get" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if n <= x.notReady {
		http.Error(w, "not ready to serve traffic, please wait", http.StatusBadRequest)
		return
	}
	if r.Header.Get("X-Aws-Parameters-Secrets-Token") != x.token {
		http.Error(w, "forbidden", http.StatusUnauthorized)
		return
	}
	if r.URL.Query().Get("withDecryption") != "true" {
		http.Error(w, "a SecureString must be read with decryption", http.StatusBadRequest)
		return
	}
	name := r.URL.Query().Get("name")
	v, ok := x.params[name]
	if !ok {
		http.Error(w, "ParameterNotFound", http.StatusNotFound)
		return
	}
	fmt.Fprintf(w, `{"Parameter":{"Name":%q,"Type":"SecureString","Value":%q,"Version":1}}`, name, v)
}

// start serves x on loopback and returns the environment a Lambda function would see.
func start(t *testing.T, x *extension, env map[string]string) ([]string, func(string) string) {
	t.Helper()
	srv := httptest.NewServer(x)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	env["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] = port
	env["AWS_SESSION_TOKEN"] = x.token
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	return environ, func(k string) string { return env[k] }
}

func TestSettingsPassedByParameterAreReadAtStart(t *testing.T) {
	x := &extension{token: "session-token", params: map[string]string{
		"/uriba/prod/im-secret-key": "the-im-secret", "/uriba/prod/merchant-keys": "abc123",
	}}
	environ, getenv := start(t, x, map[string]string{
		"IM_SECRET_KEY_PARAMETER":       "/uriba/prod/im-secret-key",
		"MERCHANT_KEY_SHA256_PARAMETER": "/uriba/prod/merchant-keys",
		"IM_ADMIN":                      "administrator",
	})
	resolved, err := Resolve(context.Background(), environ, getenv)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"IM_SECRET_KEY": "the-im-secret", "MERCHANT_KEY_SHA256": "abc123", "IM_ADMIN": "administrator", "STORE": ""} {
		if got := resolved(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if n := x.calls.Load(); n != 2 {
		t.Errorf("%d calls to the extension, want one per parameter", n)
	}
}

func TestAPlainValueWinsAndNothingIsFetched(t *testing.T) {
	x := &extension{token: "t", params: map[string]string{"/p": "from-ssm"}}
	environ, getenv := start(t, x, map[string]string{"IM_SECRET_KEY_PARAMETER": "/p", "IM_SECRET_KEY": "plain"})
	resolved, err := Resolve(context.Background(), environ, getenv)
	if err != nil || resolved("IM_SECRET_KEY") != "plain" || x.calls.Load() != 0 {
		t.Fatalf("IM_SECRET_KEY = %q, %d calls, %v", resolved("IM_SECRET_KEY"), x.calls.Load(), err)
	}
}

func TestWithoutParametersTheEnvironmentIsUnchanged(t *testing.T) {
	env := map[string]string{"IM_ADMIN": "administrator"}
	resolved, err := Resolve(context.Background(), []string{"IM_ADMIN=administrator"}, func(k string) string { return env[k] })
	if err != nil || resolved("IM_ADMIN") != "administrator" || resolved("IM_SECRET_KEY") != "" {
		t.Fatal(err)
	}
}

func TestAStartingExtensionIsWaitedFor(t *testing.T) {
	x := &extension{token: "t", params: map[string]string{"/p": "v"}, notReady: 3}
	environ, getenv := start(t, x, map[string]string{"STREAM_PUSH_KEY_PARAMETER": "/p"})
	resolved, err := Resolve(context.Background(), environ, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got := resolved("STREAM_PUSH_KEY"); got != "v" {
		t.Fatalf("STREAM_PUSH_KEY = %q after the extension became ready", got)
	}
}

func TestAMissingParameterStopsTheStartAndNamesItWithoutValues(t *testing.T) {
	x := &extension{token: "t", params: map[string]string{"/uriba/prod/present": "do-not-print-me"}}
	environ, getenv := start(t, x, map[string]string{
		"STREAM_PUSH_KEY_PARAMETER": "/uriba/prod/present",
		"STREAM_PLAY_KEY_PARAMETER": "/uriba/prod/absent",
	})
	start := time.Now()
	_, err := Resolve(context.Background(), environ, getenv)
	if err == nil {
		t.Fatal("a missing parameter was accepted")
	}
	if msg := err.Error(); !strings.Contains(msg, "STREAM_PLAY_KEY_PARAMETER") || !strings.Contains(msg, "/uriba/prod/absent") ||
		strings.Contains(msg, "STREAM_PUSH_KEY_PARAMETER") || strings.Contains(msg, "do-not-print-me") {
		t.Errorf("error %q", msg)
	}
	if time.Since(start) > time.Second {
		t.Error("a missing parameter was asked for again")
	}
}

func TestAWrongTokenIsRefused(t *testing.T) {
	x := &extension{token: "t", params: map[string]string{"/p": "v"}}
	environ, getenv := start(t, x, map[string]string{"IM_SECRET_KEY_PARAMETER": "/p"})
	wrong := func(k string) string {
		if k == "AWS_SESSION_TOKEN" {
			return "other"
		}
		return getenv(k)
	}
	if _, err := Resolve(context.Background(), environ, wrong); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err %v", err)
	}
}
