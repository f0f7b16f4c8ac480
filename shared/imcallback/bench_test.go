package imcallback

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

// discardWriter is a ResponseWriter that keeps nothing, so that the benchmarks measure the
// handler rather than a recorder.
type discardWriter struct {
	header http.Header
	status int
	last   []byte // the last reply, not copied
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { w.last = b; return len(b), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// discardPublisher accepts activities and drops them.
type discardPublisher struct{}

func (discardPublisher) Publish(context.Context, ...live.Activity) error { return nil }

// benchHandler returns a handler with in-memory collaborators and a signature clock fixed at now.
func benchHandler(b *testing.B, mode ModerationMode, mod Moderator) (*Handler, time.Time) {
	b.Helper()
	now := time.Unix(1735689600, 0)
	h := New(Config{
		SDKAppID:       testAppID,
		Verifier:       tim.CallbackVerifier{Token: testToken, Now: func() time.Time { return now }},
		Admin:          testAdmin,
		ModerationMode: mode,
	}, Deps{Moderator: mod, Stats: roomstats.New(memstore.New(nil), 0), Publisher: discardPublisher{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return h, now
}

// serveLoop runs body through the whole in-process path of h: query parsing, signature check,
// body reading, decoding, the decision and the encoded reply.
func serveLoop(b *testing.B, h *Handler, command string, now time.Time, body []byte, wantCode int) {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, Path+"?"+query(command, testAppID, testToken, now), nil)
	if err != nil {
		b.Fatal(err)
	}
	rd := bytes.NewReader(body)
	req.Body = io.NopCloser(rd)
	req.ContentLength = int64(len(body))
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rd.Reset(body)
		h.ServeHTTP(w, req)
	}
	var r reply
	if err := json.Unmarshal(w.last, &r); err != nil || w.status != http.StatusOK || r.ErrorCode != wantCode {
		b.Fatalf("HTTP %d %s, want ErrorCode %d", w.status, w.last, wantCode)
	}
}

// BenchmarkBeforeSendMsg measures the BeforeSendMsg path end to end in process, with a fake
// moderator that scans the text once per banned word (the real matcher is measured in
// functions/imcallback).
func BenchmarkBeforeSendMsg(b *testing.B) {
	mod := newFakeModerator("scam", "詐欺", "加微信", "fake goods", "idiot", "バカ")
	cases := []struct {
		name string
		mode ModerationMode
		body []byte
		code int
	}{
		{"text/clean", ModerationReject, fixture(b, "before_text.json"), 0},
		{"text/banned-reject", ModerationReject, fixture(b, "before_text_banned.json"), CodeModerated},
		{"text/banned-mask", ModerationMask, fixture(b, "before_text_banned.json"), 0},
		{"gift/forged", ModerationReject, fixture(b, "before_gift_viewer.json"), CodeServerOnly},
		{"like/counted", ModerationReject, fixture(b, "before_like.json"), 0},
		{"mixed/4-elements", ModerationMask, fixture(b, "before_mixed.json"), 0},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			h, now := benchHandler(b, tc.mode, mod)
			serveLoop(b, h, tim.CmdBeforeSendMsg, now, tc.body, tc.code)
		})
	}
	b.Run("text/clean-parallel", func(b *testing.B) {
		h, now := benchHandler(b, ModerationReject, mod)
		body := fixture(b, "before_text.json")
		raw := Path + "?" + query(tim.CmdBeforeSendMsg, testAppID, testToken, now)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			req, _ := http.NewRequest(http.MethodPost, raw, nil)
			rd := bytes.NewReader(body)
			req.Body = io.NopCloser(rd)
			w := &discardWriter{header: http.Header{}}
			for pb.Next() {
				rd.Reset(body)
				h.ServeHTTP(w, req)
			}
		})
	})
}

// BenchmarkAfterSendMsg measures turning a delivered message into an activity and publishing it
// to a queue that accepts at once.
func BenchmarkAfterSendMsg(b *testing.B) {
	for _, tc := range []struct{ name, file string }{{"text", "after_text.json"}, {"like", "after_like.json"}} {
		b.Run(tc.name, func(b *testing.B) {
			h, now := benchHandler(b, ModerationReject, nil)
			serveLoop(b, h, tim.CmdAfterSendMsg, now, fixture(b, tc.file), 0)
		})
	}
}
