package imcallback

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store/bolt"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

const (
	testAppID = 1400000042
	testToken = "tok"
	testAdmin = "administrator"
)

// fakeModerator bans a few words, ignoring ASCII case, the way a real matcher would be asked.
type fakeModerator struct{ words []string }

func newFakeModerator(words ...string) *fakeModerator {
	for i, w := range words {
		words[i] = asciiLower(w)
	}
	return &fakeModerator{words: words}
}

// asciiLower lowers ASCII letters only, so that byte offsets stay those of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (m *fakeModerator) Contains(text string) bool {
	lower := asciiLower(text)
	for _, w := range m.words {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// Mask replaces every character of every banned word with '*'.
func (m *fakeModerator) Mask(text string) (string, bool) {
	lower := asciiLower(text)
	hit := make([]bool, len(text))
	found := false
	for _, w := range m.words {
		for from := 0; ; {
			i := strings.Index(lower[from:], w)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(w); j++ {
				hit[j] = true
			}
			found = true
			from += i + len(w)
		}
	}
	if !found {
		return text, false
	}
	var b strings.Builder
	for i, r := range text {
		if hit[i] {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String(), true
}

// wait blocks until release is closed, ignoring any context, or for at most two seconds, so that
// a handler that waits for stuck I/O fails its test instead of hanging it.
func wait(release chan struct{}) {
	select {
	case <-release:
	case <-time.After(2 * time.Second):
	}
}

// stuck is a fault hook for memstore's SetFaults that holds every call until release is closed,
// ignoring the call's context, as a stuck adapter would.
func stuck(release chan struct{}) func(op, key string) error {
	return func(string, string) error {
		wait(release)
		return nil
	}
}

// buggy is a fault hook for memstore's SetFaults that panics in every call, as an adapter with a
// bug would.
func buggy(string, string) error { panic("adapter bug") }

// fakePublisher records activities. With block set, Publish waits for it to be closed, ignoring
// its context; with err set, Publish fails.
type fakePublisher struct {
	mu    sync.Mutex
	acts  []live.Activity
	err   error
	block chan struct{}
}

func (p *fakePublisher) Publish(_ context.Context, activities ...live.Activity) error {
	p.mu.Lock()
	block, err := p.block, p.err
	p.mu.Unlock()
	if block != nil {
		wait(block)
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acts = append(p.acts, activities...)
	return nil
}

func (p *fakePublisher) activities() []live.Activity {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]live.Activity(nil), p.acts...)
}

// harness is a Handler with fakes, and a fixed clock for the signature check.
type harness struct {
	t     *testing.T
	h     *Handler
	kv    *memstore.Store
	stats *roomstats.Stats
	pub   *fakePublisher
	mod   *fakeModerator
	now   time.Time
	logs  *bytes.Buffer
}

func newHarness(t *testing.T, edit func(*Config)) *harness {
	t.Helper()
	return newHarnessOver(t, memstore.New(nil), edit)
}

// newHarnessOver returns a harness whose statistics are kept in kv; hs.kv is set when kv is a
// *memstore.Store.
func newHarnessOver(t *testing.T, kv roomstats.KV, edit func(*Config)) *harness {
	t.Helper()
	now := time.Unix(1735689600, 0)
	hs := &harness{t: t, pub: &fakePublisher{}, mod: newFakeModerator("scam", "詐欺"), now: now, logs: &bytes.Buffer{}}
	hs.kv, _ = kv.(*memstore.Store)
	hs.stats = roomstats.New(kv, 0)
	cfg := Config{
		SDKAppID: testAppID,
		Verifier: tim.CallbackVerifier{Token: testToken, Now: func() time.Time { return now }},
		Admin:    testAdmin,
		IOBudget: 50 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	hs.h = New(cfg, Deps{
		Moderator: hs.mod,
		Stats:     hs.stats,
		Publisher: hs.pub,
		Logger:    slog.New(slog.NewTextHandler(&lockedWriter{w: hs.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       func() time.Time { return now },
	})
	return hs
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// query returns a callback query as IM sends it, signed at t with token (unsigned when empty).
func query(command string, appID int, token string, t time.Time) string {
	q := tim.CallbackQuery{SDKAppID: appID, CallbackCommand: command, ContentType: "json", ClientIP: "203.0.113.7", OptPlatform: "Web"}
	if token != "" {
		q.Sign, q.RequestTime = tim.SignCallback(token, t)
	}
	return q.Values().Encode()
}

// send posts body as a signed callback for command.
func (hs *harness) send(command string, body []byte) *httptest.ResponseRecorder {
	hs.t.Helper()
	return hs.sendQuery(query(command, testAppID, testToken, hs.now), body)
}

func (hs *harness) sendQuery(rawQuery string, body []byte) *httptest.ResponseRecorder {
	hs.t.Helper()
	req := httptest.NewRequest(http.MethodPost, Path+"?"+rawQuery, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	hs.h.ServeHTTP(rec, req)
	return rec
}

// reply is a callback reply as IM reads it.
type reply struct {
	ActionStatus string        `json:"ActionStatus"`
	ErrorCode    int           `json:"ErrorCode"`
	ErrorInfo    string        `json:"ErrorInfo"`
	MsgBody      []tim.MsgElem `json:"MsgBody"`
}

// decodeReply checks the envelope's shape and returns it.
func decodeReply(t *testing.T, rec *httptest.ResponseRecorder) reply {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q; body %s", ct, rec.Body)
	}
	var r reply
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("reply %q: %v", rec.Body, err)
	}
	if (rec.Code == http.StatusOK) != (r.ActionStatus == tim.StatusOK) {
		t.Fatalf("HTTP %d with ActionStatus %q", rec.Code, r.ActionStatus)
	}
	if r.ActionStatus == tim.StatusFail && r.ErrorCode == 0 {
		t.Fatalf("FAIL reply without an ErrorCode: %s", rec.Body)
	}
	return r
}

// expectOK asserts an HTTP 200 reply with ErrorCode code.
func expectCode(t *testing.T, rec *httptest.ResponseRecorder, code int) reply {
	t.Helper()
	r := decodeReply(t, rec)
	if rec.Code != http.StatusOK || r.ErrorCode != code {
		t.Fatalf("HTTP %d ErrorCode %d (%s), want HTTP 200 ErrorCode %d", rec.Code, r.ErrorCode, r.ErrorInfo, code)
	}
	return r
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sendMsgBody returns a BeforeSendMsg or AfterSendMsg body.
func sendMsgBody(command, group, from, operator string, random uint32, seq uint64, elems ...tim.MsgElem) []byte {
	cb := tim.SendMsgCallback{
		CallbackCommand: command, GroupID: group, Type: tim.GroupTypeAVChatRoom, FromAccount: from,
		OperatorAccount: operator, Random: random, MsgBody: elems, EventTime: 1735689600500,
	}
	if seq != 0 {
		cb.MsgSeq, cb.MsgTime = seq, 1735689600
	}
	b, _ := json.Marshal(cb)
	return b
}

func before(from string, elems ...tim.MsgElem) []byte {
	return sendMsgBody(tim.CmdBeforeSendMsg, "room-1", from, from, 42, 0, elems...)
}

// texts returns the text of every text element.
func texts(t *testing.T, body []tim.MsgElem) []string {
	t.Helper()
	var out []string
	for _, el := range body {
		if s, ok := el.Text(); ok {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
			out = append(out, s)
		}
	}
	return out
}

func (hs *harness) counts(room string) roomstats.Counts {
	hs.t.Helper()
	c, err := hs.stats.Get(context.Background(), room)
	if err != nil {
		hs.t.Fatal(err)
	}
	return c
}

// settle waits until the I/O of every callback answered so far has finished.
func (hs *harness) settle() {
	hs.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.h.Wait(ctx); err != nil {
		hs.t.Fatalf("background I/O did not end: %v", err)
	}
}

// countingKV counts the calls made to the roomstats.KV it wraps.
type countingKV struct {
	roomstats.KV
	calls atomic.Int64
}

// ops returns how many calls were made so far.
func (c *countingKV) ops() int64 { return c.calls.Load() }

func (c *countingKV) Add(ctx context.Context, key string, delta int64) (int64, error) {
	c.calls.Add(1)
	return c.KV.Add(ctx, key, delta)
}

func (c *countingKV) Max(ctx context.Context, key string, v int64) (int64, error) {
	c.calls.Add(1)
	return c.KV.Max(ctx, key, v)
}

func (c *countingKV) Counter(ctx context.Context, key string) (int64, error) {
	c.calls.Add(1)
	return c.KV.Counter(ctx, key)
}

func (c *countingKV) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	c.calls.Add(1)
	return c.KV.PutIfAbsent(ctx, key, value, ttl)
}

// openBolt returns counted access to an empty bolt store in a temporary file, the embedded
// store uriba runs on by default; every write reaches the disk before it returns.
func openBolt(t *testing.T) *countingKV {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "uriba.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &countingKV{KV: db}
}
