// Package rooms runs live rooms for merchant tools: it creates a room with its IM AVChatRoom
// group, moves it through its statuses, sets its notice and pins its current product.
//
// A room lives in two places: IM, which tells viewers, and the store, which remembers. Every
// change keeps them in agreement:
//
//   - Create imports the anchor, creates the group with room_status=created, then stores the room
//     with PutIfAbsent. When storing fails the group is destroyed again; when the group cannot be
//     made nothing is stored.
//   - SetStatus, SetNotice, PinProduct and UnpinProduct take a short lease on the room (so that two
//     changes of one room do not interleave their IM and store writes), validate the change
//     against the stored room, send it to IM with exactly one IM call that changes exactly one
//     custom field (or the Notification), and only then write the store with CompareAndSwap,
//     retrying on conflict. When IM fails the store is not touched; when the store fails after IM
//     succeeded, the IM change is sent back to what the store holds, as far as IM allows.
//
// The store layout: "rooms/{id}" holds the room as JSON, without its product history;
// "roomproducts/{id}/{n}" holds the n-th product pinned in it; "rooms/status/{status}/{id}" is an
// index entry for each room in that status. The entry of a new status is written before the room
// and the old one removed after it, so the index may briefly name a room twice but never misses
// one; List checks each room's real status. "roomlease#{id}" is the lease of a room. IDs pass
// through store.EscapeID so that '/' in an ID cannot reach another directory.
package rooms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// KV is the part of the store the service uses: value records.
type KV = store.Values

// IM is the part of Tencent IM the service uses. *tim.Client implements it.
type IM interface {
	// AccountImport makes an account known to IM; importing twice is harmless.
	AccountImport(ctx context.Context, req tim.AccountImportRequest) error
	// CreateGroup creates a group and returns its GroupId.
	CreateGroup(ctx context.Context, req tim.CreateGroupRequest) (string, error)
	// DestroyGroup dissolves a group.
	DestroyGroup(ctx context.Context, groupID string) error
	// SetGroupField changes exactly one custom field of a group; an empty value deletes it.
	SetGroupField(ctx context.Context, groupID, key, value string) error
	// SetGroupNotification replaces a group's Notification.
	SetGroupNotification(ctx context.Context, groupID, text string) error
	// RetryBudget returns the longest one of the calls above may take, its retries included.
	RetryBudget() time.Duration
}

// Stats reads a room's live counters. *roomstats.Stats implements it.
type Stats interface {
	Get(ctx context.Context, roomID string) (roomstats.Counts, error)
}

// Sales reads a room's gift and purchase totals. *roomstats.Sales implements it.
type Sales interface {
	Totals(ctx context.Context, roomID string, top int) (roomstats.Totals, error)
}

// Config configures a Service. Only Fields matters for correctness; the rest have defaults.
type Config struct {
	// Admin is the app's IM admin account, which no room may have as its anchor;
	// live.DefaultAdmin when empty.
	Admin string
	// Fields names the group custom fields; DefaultFields when zero.
	Fields Fields
	// Stats supplies likes and viewers for Get and Summary; without it they read zero.
	Stats Stats
	// Sales supplies gift and purchase totals for Get and Summary; without it they read zero.
	Sales Sales
	// Now tells the time; time.Now when nil.
	Now func() time.Time
	// Logger receives failures that the caller does not see, such as a failed clean-up; nil
	// discards them.
	Logger *slog.Logger
	// LeaseTTL bounds how long one change may hold a room. It must outlast the IM calls a change
	// makes under the lease, leaseIMCalls of them, each bounded by IM.RetryBudget: New refuses a
	// shorter one. When zero it is DefaultLeaseTTL, or those IM calls' time when that is longer.
	LeaseTTL time.Duration
	// LeaseWait is how long a change waits for another change of the same room to finish before
	// answering EConflict; DefaultLeaseWait when zero.
	LeaseWait time.Duration
}

// Defaults of Config.
const (
	DefaultLeaseTTL  = 30 * time.Second
	DefaultLeaseWait = 3 * time.Second
)

// leaseIMCalls is the most IM calls one change makes while it holds the lease of its room: the
// change itself and, when the store fails after IM accepted it, the call that reverts it.
const leaseIMCalls = 2

// cleanupTimeout bounds the IM and store calls that undo a half-made change; they run even when
// the caller's context has ended.
const cleanupTimeout = 10 * time.Second

// Service runs live rooms. Its methods are safe for concurrent use, also across processes that
// share the store and the IM app.
type Service struct {
	kv     KV
	im     IM
	admin  string
	fields Fields
	stats  Stats
	sales  Sales
	now    func() time.Time
	log    *slog.Logger
	ttl    time.Duration
	wait   time.Duration
}

// New returns a Service over kv and im. It fails when cfg names invalid field keys.
func New(kv KV, im IM, cfg Config) (*Service, error) {
	if kv == nil || im == nil {
		return nil, errors.New("rooms: a store and an IM client are required")
	}
	if cfg.Fields == (Fields{}) {
		cfg.Fields = DefaultFields()
	}
	if err := cfg.Fields.Validate(); err != nil {
		return nil, err
	}
	s := &Service{kv: kv, im: im, admin: cfg.Admin, fields: cfg.Fields, stats: cfg.Stats, sales: cfg.Sales, now: cfg.Now, log: cfg.Logger,
		ttl: cfg.LeaseTTL, wait: cfg.LeaseWait}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	imTime := leaseIMCalls * im.RetryBudget()
	switch {
	case s.ttl <= 0:
		s.ttl = max(DefaultLeaseTTL, imTime)
	case s.ttl < imTime:
		return nil, fmt.Errorf("rooms: LeaseTTL %v is shorter than the %d IM calls a change makes under it, %v each (the IM client's retry budget)",
			s.ttl, leaseIMCalls, im.RetryBudget())
	}
	if s.wait <= 0 {
		s.wait = DefaultLeaseWait
	}
	return s, nil
}

// Fields returns the names of the group custom fields the service writes.
func (s *Service) Fields() Fields { return s.fields }

// clock returns the current time in UTC.
func (s *Service) clock() time.Time { return s.now().UTC() }

// load returns the stored room id and its encoding, or ENotFound.
func (s *Service) load(ctx context.Context, id string) (live.Room, []byte, error) {
	raw, ok, err := s.kv.Get(ctx, roomKey(id))
	if err != nil {
		return live.Room{}, nil, err
	}
	if !ok {
		return live.Room{}, nil, notFound(id)
	}
	r, err := decodeRoom(raw)
	return r, raw, err
}

func notFound(id string) error {
	return live.Errorf(live.ENotFound, "There is no room %q.", id)
}

func decodeRoom(raw []byte) (live.Room, error) {
	var r live.Room
	if err := json.Unmarshal(raw, &r); err != nil {
		return live.Room{}, err
	}
	return r, nil
}

// encodeRoom returns the stored form of a room, which leaves the product history out.
func encodeRoom(r live.Room) ([]byte, error) {
	r.Products = nil
	return json.Marshal(r)
}

// newRoomID returns a generated room ID: "room_", 12 hex digits of the Unix time in milliseconds
// (so that generated IDs list in creation order) and 8 random hex digits.
func newRoomID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	ms := uint64(now.UnixMilli())
	var t [6]byte
	for i := 5; i >= 0; i-- {
		t[i] = byte(ms)
		ms >>= 8
	}
	return "room_" + hex.EncodeToString(t[:]) + hex.EncodeToString(b[:])
}

// validateRoomRef checks a room ID given to look a room up. Any ID IM accepts as a GroupId may
// name a room; malformed ones are refused before they reach the store.
func validateRoomRef(id string) error {
	if id == "" || len(id) > live.MaxRoomIDBytes {
		return notFound(id)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return notFound(id)
		}
	}
	return nil
}
