// Package roomstest helps test code built on package rooms: an IM wrapper that counts and fails
// calls, and a harness that runs the rooms service against the IM stand-in on loopback, over an
// in-memory store and a settable clock. It is for tests only.
package roomstest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

// The stand-in app of every harness.
const (
	AppID     = 1400000077
	SecretKey = "roomstest-secret-key-0123456789abcdef0123456789abcdef"
	Admin     = "administrator"
)

// Options configure a Harness.
type Options struct {
	// KV is the store; when nil, a new in-memory store that expires values by the harness's
	// Clock.
	KV rooms.KV
	// Config configures the service. Its Now defaults to the harness's Clock and its Stats to
	// roomstats over the store, when the store has the counter methods.
	Config rooms.Config
}

// Harness is the rooms service wired to the IM stand-in on a loopback HTTP server through the
// real IM client, with every IM call the service makes counted.
type Harness struct {
	t       testing.TB
	IM      *standin.IM
	URL     string // the stand-in's base URL
	Client  *tim.Client
	Counter *CountingIM
	KV      rooms.KV
	Memory  *memstore.Store // the store when Options.KV was nil
	Stats   *roomstats.Stats
	Clock   *clock.Manual
	Service *rooms.Service
}

// New starts a stand-in and returns a harness over it; everything stops when the test ends.
func New(t testing.TB, o Options) *Harness {
	t.Helper()
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	im, err := standin.New(standin.Config{SDKAppID: AppID, SecretKey: SecretKey, Admin: Admin,
		RESTCallsPerSecond: -1, GroupMessagesPerSecond: -1, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(im.Handler())
	t.Cleanup(func() { im.Close(); srv.Close() })
	client, err := tim.NewClient(tim.ClientConfig{SDKAppID: AppID, SecretKey: SecretKey, Admin: Admin,
		BaseURL: srv.URL, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{t: t, IM: im, URL: srv.URL, Client: client, Counter: &CountingIM{Inner: client},
		KV: o.KV, Clock: clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))}
	if h.KV == nil {
		h.Memory = memstore.New(h.Clock.Now)
		h.KV = h.Memory
	}
	cfg := o.Config
	if cfg.Now == nil {
		cfg.Now = h.Clock.Now
	}
	if sk, ok := h.KV.(roomstats.KV); ok && cfg.Stats == nil {
		h.Stats = roomstats.New(sk, 0)
		cfg.Stats = h.Stats
	}
	if h.Service, err = rooms.New(h.KV, h.Counter, cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

// Viewer imports userID into the stand-in (without counting the call) and returns its UserSig.
func (h *Harness) Viewer(userID string) string {
	h.t.Helper()
	if err := h.Client.AccountImport(context.Background(), tim.AccountImportRequest{UserID: userID}); err != nil {
		h.t.Fatal(err)
	}
	sig, _, err := tim.GenUserSig(AppID, SecretKey, userID, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return sig
}

// GroupProfile reads a group as a viewer's client does, from GET /standin/groups/{id}.
func (h *Harness) GroupProfile(groupID, userID string) standin.ClientGroupProfile {
	h.t.Helper()
	sig := h.Viewer(userID)
	req, err := http.NewRequest(http.MethodGet, h.URL+"/standin/groups/"+url.PathEscape(groupID), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "UserSig "+sig)
	req.Header.Set("X-User-Id", userID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var p standin.ClientGroupProfile
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("GET group %s: HTTP %d %s", groupID, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// Stream is a viewer's open event stream.
type Stream struct {
	events chan standin.ClientMessage
	ended  chan struct{}
}

// Subscribe opens the event stream of groupID as userID, as a viewer's EventSource does; the
// viewer joins the group. The stream closes when the test ends.
func (h *Harness) Subscribe(groupID, userID string) *Stream {
	h.t.Helper()
	sig := h.Viewer(userID)
	ctx, cancel := context.WithCancel(context.Background())
	q := url.Values{"userId": {userID}, "userSig": {sig}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+"/standin/groups/"+url.PathEscape(groupID)+"/events?"+q.Encode(), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		resp.Body.Close()
		h.t.Fatalf("subscribe to %s: HTTP %d", groupID, resp.StatusCode)
	}
	s := &Stream{events: make(chan standin.ClientMessage, 1024), ended: make(chan struct{})}
	go func() {
		defer close(s.ended)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m standin.ClientMessage
				if json.Unmarshal([]byte(data), &m) == nil {
					s.events <- m
				}
			}
		}
	}()
	h.t.Cleanup(func() { cancel(); <-s.ended })
	return s
}

// ProfileTip returns the next group-profile tip (operationType 6) of the stream, skipping other
// events, and fails the test when none arrives within two seconds.
func (s *Stream) ProfileTip(t testing.TB) standin.GroupTipPayload {
	t.Helper()
	timeout := time.After(2 * time.Second)
	for {
		select {
		case m := <-s.events:
			if m.Type != standin.TypeGroupTip {
				continue
			}
			var tip standin.GroupTipPayload
			if err := json.Unmarshal(m.Payload, &tip); err != nil {
				t.Fatal(err)
			}
			if tip.OperationType == standin.TipGroupProfileUpdated {
				return tip
			}
		case <-s.ended:
			t.Fatal("the event stream ended")
		case <-timeout:
			t.Fatal("no group profile tip within two seconds")
		}
	}
}

// Quiet fails the test when a group-profile tip arrives within d.
func (s *Stream) Quiet(t testing.TB, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case m := <-s.events:
			if m.Type == standin.TypeGroupTip && strings.Contains(string(m.Payload), `"operationType":6`) {
				t.Fatalf("unexpected profile tip %s", m.Payload)
			}
		case <-timeout:
			return
		}
	}
}
