// Package functiontest runs a uriba function in a test as its main runs it: it starts the IM
// stand-in on loopback, gives the function an environment pointed at it and at a bolt store in a
// temporary folder, and assembles the function through its Definition.
package functiontest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/standin/streaming"
	"github.com/uriba-live/uriba/shared/tim"
)

// The app, merchant key and callback token of every test environment.
const (
	AppID         = 1400000042
	SecretKey     = "5f1e2d3c4b5a69788796a5b4c3d2e1f05f1e2d3c4b5a69788796a5b4c3d2e1f0"
	Admin         = "administrator"
	MerchantKey   = "mk_function_test"
	CallbackToken = "callback-token-7f3a-5e21"
)

// The streaming settings of every test environment.
const (
	PushDomain  = "push.example.test"
	PlayDomain  = "play.example.test"
	PushKey     = "push-key-0c9a41"
	PlayKey     = "play-key-77e2b0"
	StreamKey   = "stream-callback-key-5d1f"
	CloudAPIKey = "AKIDfunctiontest"
)

// Env is a function's environment, pointed at a running IM stand-in.
type Env struct {
	// Vars are the environment variables; a test may change them before Build.
	Vars map[string]string
	// IM is the stand-in, for inspecting what the function did in IM.
	IM *standin.IM
	// IMURL is the stand-in's base URL.
	IMURL string
	// Streams is the streaming stand-in, whose Cloud API CLOUDAPI_BASE_URL names; set its
	// callback URL to the function under test's.
	Streams *streaming.Live
}

// New starts the IM stand-in and returns an environment with the IM settings, the merchant key's
// digest, the callback token and a bolt store in a temporary folder.
func New(t testing.TB) *Env {
	t.Helper()
	im, err := standin.New(standin.Config{SDKAppID: AppID, SecretKey: SecretKey, Admin: Admin, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(im.Handler())
	t.Cleanup(func() { srv.Close(); im.Close() })
	streams, err := streaming.New(streaming.Config{PushDomain: PushDomain, App: "live", PushKey: PushKey, SecretID: CloudAPIKey, CallbackKey: StreamKey})
	if err != nil {
		t.Fatal(err)
	}
	streamSrv := httptest.NewServer(streams.Handler())
	t.Cleanup(func() { streamSrv.Close(); streams.Close() })
	sum := sha256.Sum256([]byte(MerchantKey))
	return &Env{
		IM:      im,
		IMURL:   srv.URL,
		Streams: streams,
		Vars: map[string]string{
			"IM_SDKAPPID": fmt.Sprint(AppID), "IM_SECRET_KEY": SecretKey, "IM_ADMIN": Admin, "IM_BASE_URL": srv.URL,
			"IM_CALLBACK_TOKEN": CallbackToken, "MERCHANT_KEY_SHA256": hex.EncodeToString(sum[:]),
			"STORE":              "bolt:" + filepath.Join(t.TempDir(), "uriba.db"),
			"STREAM_PUSH_DOMAIN": PushDomain, "STREAM_PLAY_DOMAIN": PlayDomain, "STREAM_PUSH_KEY": PushKey,
			"STREAM_PLAY_KEY": PlayKey, "STREAM_CALLBACK_KEY": StreamKey, "CLOUDAPI_BASE_URL": streamSrv.URL,
			"TENCENTCLOUD_SECRET_ID": CloudAPIKey, "TENCENTCLOUD_SECRET_KEY": "cloud-api-secret", "TENCENTCLOUD_REGION": "ap-singapore",
		},
	}
}

// Getenv reads a variable of the environment.
func (e *Env) Getenv(name string) string { return e.Vars[name] }

// Client returns an IM REST client of the admin, for setting up accounts and groups.
func (e *Env) Client(t testing.TB) *tim.Client {
	t.Helper()
	c, err := tim.NewClient(tim.ClientConfig{SDKAppID: AppID, SecretKey: SecretKey, Admin: Admin, BaseURL: e.IMURL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Build assembles def as on a laptop with the environment, and releases it when the test ends.
func (e *Env) Build(t testing.TB, def function.Definition) platform.Function {
	t.Helper()
	fn, release, err := Try(def, e.Getenv, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return fn
}

// Try assembles def with the variables of getenv, on a laptop when local is true and as a
// deployed function otherwise, and returns what Build returns.
func Try(def function.Definition, getenv func(string) string, local bool) (platform.Function, func(), error) {
	env := config.NewLoader(getenv)
	env.Local = local
	return def.Build(context.Background(), env, function.Deps{Logger: slog.New(slog.DiscardHandler)})
}

// Reply is the HTTP reply of a function run on Lambda or SCF, as its event handler returns it.
type Reply struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// Invoke hands event to h and returns its HTTP reply, with a base64 body decoded.
func Invoke(t testing.TB, h platform.EventHandler, event json.RawMessage) Reply {
	t.Helper()
	out, err := h(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var r Reply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("reply %s: %v", raw, err)
	}
	if r.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			t.Fatalf("reply body %q: %v", r.Body, err)
		}
		r.Body = string(b)
	}
	return r
}
