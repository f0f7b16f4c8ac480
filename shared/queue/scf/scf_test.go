package scf_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/levels/levelstest"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue/scf"
)

const (
	secretID  = "AKIDtest0123456789"
	secretKey = "scf-test-secret-key"
	region    = "ap-singapore"
)

// cloudAPI is a fake Cloud API endpoint for Invoke. It checks the TC3-HMAC-SHA256 signature and
// the request's shape, records the events, and answers with the errors queued in fail first.
type cloudAPI struct {
	t      *testing.T
	mu     sync.Mutex
	events []string
	fail   []string // error codes to answer with, one per call, before succeeding
	calls  int
}

type invokeRequest struct {
	FunctionName   string
	Namespace      string
	InvocationType string
	ClientContext  string
}

func (c *cloudAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if problem := c.check(r, body); problem != "" {
		c.t.Errorf("Invoke request: %s", problem)
		writeJSON(w, `{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"%s"},"RequestId":"r"}}`, problem)
		return
	}
	var req invokeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		c.t.Errorf("Invoke body %s: %v", body, err)
	}
	if req.FunctionName != "levelupdater" || req.Namespace != "default" || req.InvocationType != "Event" {
		c.t.Errorf("Invoke %+v, want levelupdater in default, asynchronously", req)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if len(c.fail) > 0 {
		code := c.fail[0]
		c.fail = c.fail[1:]
		writeJSON(w, `{"Response":{"Error":{"Code":"%s","Message":"no"},"RequestId":"r%d"}}`, code, c.calls)
		return
	}
	c.events = append(c.events, req.ClientContext)
	writeJSON(w, `{"Response":{"Result":{"InvokeResult":0,"FunctionRequestId":"f%d"},"RequestId":"r%d"}}`, c.calls, c.calls)
}

func writeJSON(w http.ResponseWriter, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, format, args...)
}

// check verifies the TC3-HMAC-SHA256 signature of r and returns what is wrong, or "".
func (c *cloudAPI) check(r *http.Request, body []byte) string {
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		return "not POST /"
	case r.Header.Get("X-TC-Action") != "Invoke" || r.Header.Get("X-TC-Version") != "2018-04-16":
		return "wrong X-TC-Action or X-TC-Version"
	case r.Header.Get("X-TC-Region") != region:
		return "wrong X-TC-Region"
	case r.Header.Get("Content-Type") != "application/json":
		return "wrong Content-Type"
	}
	ts := r.Header.Get("X-TC-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
		return "X-TC-Timestamp missing or stale"
	}
	date := time.Unix(sec, 0).UTC().Format("2006-01-02")
	scope := date + "/scf/tc3_request"
	canonical := "POST\n/\n\ncontent-type:application/json\nhost:" + r.Host + "\n\ncontent-type;host\n" + sha256hex(body)
	toSign := "TC3-HMAC-SHA256\n" + ts + "\n" + scope + "\n" + sha256hex([]byte(canonical))
	key := hmacSHA256([]byte("TC3"+secretKey), date)
	key = hmacSHA256(key, "scf")
	key = hmacSHA256(key, "tc3_request")
	want := "TC3-HMAC-SHA256 Credential=" + secretID + "/" + scope + ", SignedHeaders=content-type;host, Signature=" +
		hex.EncodeToString(hmacSHA256(key, toSign))
	if got := r.Header.Get("Authorization"); got != want {
		return "Authorization " + got + " does not verify"
	}
	return ""
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// newPublisher returns a Publisher aimed at a fake Cloud API on loopback.
func newPublisher(t *testing.T, api *cloudAPI, maxPayload int) *scf.Publisher {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cfg := scf.Config{SecretID: secretID, SecretKey: config.Secret(secretKey), Region: region, BaseURL: srv.URL}
	cfg.MaxPayload = maxPayload
	p, err := scf.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var t0 = time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)

func activities(n int) []live.Activity {
	out := make([]live.Activity, n)
	for i := range out {
		out[i] = live.Activity{ID: fmt.Sprintf("room-1/%d", i), RoomID: "room-1", UserID: fmt.Sprintf("viewer-%d", i%5),
			Kind: live.KindGift, Amount: int64(i + 1), At: t0.Add(time.Duration(i) * time.Millisecond)}
	}
	return out
}

func TestPublishInvokesTheFunctionAndTheConsumerCreditsOnce(t *testing.T) {
	api := &cloudAPI{t: t}
	pub := newPublisher(t, api, 0)
	batch := activities(25)
	if err := pub.Publish(context.Background(), batch...); err != nil {
		t.Fatal(err)
	}
	if len(api.events) != 1 {
		t.Fatalf("%d invocations, want 1", len(api.events))
	}
	if !scf.IsEvent(json.RawMessage(api.events[0])) {
		t.Fatalf("the event %s is not recognised", api.events[0])
	}

	u := levelstest.Updater(t)
	consumer := scf.Consumer{Applier: u}
	for range 2 { // SCF may run an event twice
		reply, err := consumer.Handle(context.Background(), json.RawMessage(api.events[0]))
		if err != nil {
			t.Fatal(err)
		}
		if r := reply.(scf.Result); r.Activities != 25 {
			t.Fatalf("reply %+v", r)
		}
	}
	want := map[string]int64{}
	for _, a := range batch {
		want[a.UserID] += a.Amount
	}
	for user, xp := range want {
		if l, err := u.Get(context.Background(), user); err != nil || l.XP != xp {
			t.Errorf("%s: %+v %v, want %d XP", user, l, err, xp)
		}
	}
}

func TestPublishSplitsEventsAtTheSizeLimit(t *testing.T) {
	api := &cloudAPI{t: t}
	const limit = 2000
	pub := newPublisher(t, api, limit)
	batch := activities(100)
	if err := pub.Publish(context.Background(), batch...); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range api.events {
		if len(e) > limit {
			t.Errorf("an event of %d bytes exceeds %d", len(e), limit)
		}
		var ev struct{ Activities []live.Activity }
		if err := json.Unmarshal([]byte(e), &ev); err != nil {
			t.Fatal(err)
		}
		for _, a := range ev.Activities {
			ids = append(ids, a.ID)
		}
	}
	want := make([]string, len(batch))
	for i, a := range batch {
		want[i] = a.ID
	}
	if len(api.events) < 2 || !slices.Equal(ids, want) {
		t.Errorf("%d events carrying %v, want every activity once, in order", len(api.events), ids)
	}
}

func TestPublishRetriesRateLimitsAndReportsFailures(t *testing.T) {
	api := &cloudAPI{t: t, fail: []string{"RequestLimitExceeded", "InternalError"}}
	if err := newPublisher(t, api, 0).Publish(context.Background(), activities(3)...); err != nil {
		t.Fatalf("rate limits were not retried: %v", err)
	}
	if api.calls != 3 || len(api.events) != 1 {
		t.Errorf("%d calls, %d events; want 3 calls and 1 event", api.calls, len(api.events))
	}

	api = &cloudAPI{t: t, fail: []string{"ResourceNotFound.Function"}}
	err := newPublisher(t, api, 0).Publish(context.Background(), activities(3)...)
	var pe *scf.PublishError
	if !errors.As(err, &pe) || !slices.Equal(pe.Failed, []string{"room-1/0", "room-1/1", "room-1/2"}) || live.ErrorCode(err) != scf.CodePublishFailed {
		t.Fatalf("err %v, want a PublishError naming the three activities", err)
	}
	if api.calls != 1 || !strings.Contains(err.Error(), "ResourceNotFound.Function") {
		t.Errorf("a permanent failure was retried (%d calls) or not named: %v", api.calls, err)
	}
	if strings.Contains(err.Error(), secretKey) {
		t.Error("the error reveals the secret key")
	}
}

// flaky fails the activities of one user.
type flaky struct{ user string }

func (f flaky) Apply(_ context.Context, batch []live.Activity) ([]string, error) {
	var failed []string
	for _, a := range batch {
		if a.UserID == f.user {
			failed = append(failed, a.ID)
		}
	}
	if failed != nil {
		return failed, errors.New("store unavailable")
	}
	return nil, nil
}

func TestHandleDropsMalformedActivitiesAndFailsForRedelivery(t *testing.T) {
	event := json.RawMessage(`{"activities":[{"id":"a","userId":"alice","kind":"like","amount":1,"at":"2025-01-01T00:00:00Z"},
		"junk", {"id":"","userId":"x","kind":"like"}]}`)
	reply, err := scf.Consumer{Applier: flaky{}}.Handle(context.Background(), event)
	if err != nil || reply.(scf.Result) != (scf.Result{Activities: 1, Malformed: 2}) {
		t.Fatalf("reply %+v, err %v", reply, err)
	}
	if _, err := (scf.Consumer{Applier: flaky{user: "alice"}}).Handle(context.Background(), event); err == nil {
		t.Error("a batch with activities to redeliver succeeded")
	}
	if _, err := (scf.Consumer{Applier: flaky{}}).Handle(context.Background(), json.RawMessage(`[1]`)); err == nil {
		t.Error("an event that is not an object was accepted")
	}
}
