// Package standintest serves the IM stand-in on loopback for tests, with a REST client of it.
package standintest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/tim"
)

// The app Start gives a stand-in whose Config leaves them out.
const (
	AppID     = 1400000042
	SecretKey = "standintest-secret-key-0123456789abcdef"
	Admin     = "administrator"
)

// Server is a stand-in served on loopback.
type Server struct {
	// IM is the stand-in, for inspecting what it holds.
	IM *standin.IM
	// URL is the base URL it is served at.
	URL string
	// Client is a REST client of it, as the app's administrator.
	Client *tim.Client

	conns atomic.Int64
}

// Start serves a stand-in configured by cfg on loopback, and closes both when the test ends.
// SDKAppID, SecretKey and Admin default to AppID, SecretKey and Admin, and a nil Logger discards
// the stand-in's and the client's logs.
func Start(t testing.TB, cfg standin.Config) *Server {
	t.Helper()
	if cfg.SDKAppID == 0 {
		cfg.SDKAppID = AppID
	}
	if cfg.SecretKey == "" {
		cfg.SecretKey = SecretKey
	}
	if cfg.Admin == "" {
		cfg.Admin = Admin
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	im, err := standin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{IM: im}
	srv := httptest.NewUnstartedServer(im.Handler())
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(im.Close) // runs first
	s.URL = srv.URL
	s.Client, err = tim.NewClient(tim.ClientConfig{SDKAppID: cfg.SDKAppID, SecretKey: cfg.SecretKey, Admin: cfg.Admin,
		BaseURL: srv.URL, Logger: cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// NewConns returns how many TCP connections clients have opened to the stand-in so far.
func (s *Server) NewConns() int64 { return s.conns.Load() }

// Import imports the accounts users.
func (s *Server) Import(t testing.TB, users ...string) {
	t.Helper()
	for _, u := range users {
		if err := s.Client.AccountImport(context.Background(), tim.AccountImportRequest{UserID: u}); err != nil {
			t.Fatal(err)
		}
	}
}

// CreateRooms creates an AVChatRoom group for each of ids, named after its ID.
func (s *Server) CreateRooms(t testing.TB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		req := tim.CreateGroupRequest{GroupID: id, Name: id, Type: tim.GroupTypeAVChatRoom}
		if _, err := s.Client.CreateGroup(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
}
