// Package gifts runs the money side of live rooms: the gift catalog and its new-gift prompt, coin
// wallets, server-billed gifts with combos, and the purchases the shop's order system reports.
//
// # Exactly once
//
// Every operation that moves coins has an ID derived from what makes a request unique: a gift
// from its sender, room and Idempotency-Key, a top-up from the user and Idempotency-Key, a
// purchase from its orderId. The operation's record is written first with PutIfAbsent, which
// makes exactly one of concurrent repeats the owner and lets a repeat with other content be
// refused; the record then moves through its states with CompareAndSwap, and a repeat resumes
// from the state it finds.
//
// A wallet is one record, "wallet#{user}", changed only with CompareAndSwap: the balance and the
// IDs of the operations applied to it whose own record has not yet moved on (pending). A debit
// that finds its ID in pending was already applied and is not applied again; a debit the balance
// does not cover changes nothing. So a wallet is never overspent by concurrent debits and never
// charged twice for one operation, and the sum of the balances and the gift ledger is only
// changed by top-ups.
//
// A billed gift is announced with SEND_GIFT from the viewer's account at High priority, with an
// IM Random derived from the operation's ID, so that a repeat IM receives within five minutes is
// discarded. When IM does not take it, the coins are refunded and the operation may be repeated
// with the same key, which bills it again. Reconcile finishes the gifts a crash left halfway; a
// gift request runs it for its room at most once a minute in each process.
//
// # Room totals
//
// A gift is counted in the room's totals (roomstats.Sales) by the request whose change of state
// announced or queued it, and an order by the request that moved it to counted: the change of
// state is the claim, so concurrent repeats count nothing. When the store fails halfway, what was
// not added is recorded in the gift's or order's own record and added later, once: by Reconcile
// for a gift (its pending entry ".owed"), by the shop's repeat for an order. Only a process that
// dies between the claim and that record loses a count; wallets and the ledger are never
// affected.
//
// # Store layout
//
// "gifts/{giftId}" the catalog; "wallet#{user}" a wallet; "giftop/{room}/{op}" the room's gift
// ledger (one record per billed gift); "topup#{user}#{op}" a top-up; "purchase#{orderId}" a
// purchase; "combo#{room}#{user}#{gift}" a viewer's current combo; "giftrate#{room}#{second}" and
// "giftmergerate#{room}#{second}" the room's message budget; "giftpending/{room}/{t}.{op}" the
// gifts whose request may not have finished and, holding the gift, those waiting to be announced
// merged (the merge queue); "giftpending/{room}/{t}.{op}.owed" the gifts whose count was left
// unfinished (see Reconcile); "giftmergeout/{room}/{id}" the merged messages decided but not known
// to be sent. IDs pass through store.EscapeID.
package gifts

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// KV is the part of the store the service uses. store.KV has these methods.
type KV interface {
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (created bool, err error)
	CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (swapped bool, err error)
	Delete(ctx context.Context, key string) (existed bool, err error)
	Add(ctx context.Context, key string, delta int64) (int64, error)
	Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error)
}

// IM is the part of Tencent IM the service uses. *tim.Client implements it.
type IM interface {
	SendGroupMsg(ctx context.Context, req tim.SendGroupMsgRequest) (tim.SendGroupMsgReply, error)
	// AccountImport makes an account known to IM; importing twice is harmless.
	AccountImport(ctx context.Context, req tim.AccountImportRequest) error
}

// Rooms looks rooms up. *rooms.Service implements it.
type Rooms interface {
	Room(ctx context.Context, roomID string) (live.Room, error)
	List(ctx context.Context, p rooms.ListParams) (rooms.Page, error)
	Get(ctx context.Context, roomID string) (rooms.View, error)
}

// Defaults of Config.
const (
	DefaultComboWindow       = 3 * time.Second
	DefaultMessagesPerSecond = 10
	// MaxMergedExt bounds the Ext of a merged SEND_GIFT, in bytes as the message's JSON carries
	// it (escaped), to stay inside IM's 8 KB message with its envelope.
	MaxMergedExt = 7 << 10
)

// Config configures a Service.
type Config struct {
	// Admin is the app's IM admin account, which sends NEW_GIFT and merged gifts, and which no
	// viewer or buyer may be; live.DefaultAdmin when empty.
	Admin string
	// ComboWindow is how soon the same viewer must send the same gift again for a combo;
	// DefaultComboWindow when zero.
	ComboWindow time.Duration
	// MessagesPerSecond is the budget of gift messages per room and second, at least 2;
	// DefaultMessagesPerSecond when zero. Past it gifts are announced merged.
	MessagesPerSecond int
	// ReconcileAfter is how long a gift's request must have been gone before a later gift
	// request in the same room finishes the gift (see Reconcile); DefaultReconcileAfter when
	// zero, never when negative.
	ReconcileAfter time.Duration
	// Now tells the time; time.Now when nil.
	Now func() time.Time
	// Logger receives what callers do not see; nil discards it.
	Logger *slog.Logger
}

// Service runs gifts, wallets and purchases. Its methods are safe for concurrent use, also across
// processes that share the store and the IM app.
type Service struct {
	kv         KV
	im         IM
	rooms      Rooms
	sales      *roomstats.Sales
	activities queue.Publisher
	cfg        Config
	now        func() time.Time
	log        *slog.Logger
	// individual is how many gifts a second a room announces one by one; merged how many
	// merged messages. Together they are the budget.
	individual, merged int64
	rec                reconciler
}

// New returns a Service.
func New(kv store.KV, im IM, rs Rooms, activities queue.Publisher, cfg Config) (*Service, error) {
	if kv == nil || im == nil || rs == nil {
		return nil, errors.New("gifts: a store, an IM client and rooms are required")
	}
	if activities == nil {
		activities = queue.Discard{}
	}
	if cfg.ComboWindow <= 0 {
		cfg.ComboWindow = DefaultComboWindow
	}
	if cfg.MessagesPerSecond == 0 {
		cfg.MessagesPerSecond = DefaultMessagesPerSecond
	}
	if cfg.MessagesPerSecond < 2 {
		return nil, errors.New("gifts: MessagesPerSecond must be at least 2, one of them for merged gifts")
	}
	if cfg.Admin == "" {
		cfg.Admin = live.DefaultAdmin
	}
	if cfg.ReconcileAfter == 0 {
		cfg.ReconcileAfter = DefaultReconcileAfter
	}
	s := &Service{kv: kv, im: im, rooms: rs, sales: roomstats.NewSales(kv), activities: activities, cfg: cfg, now: cfg.Now, log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.merged = max(1, int64(cfg.MessagesPerSecond)/5)
	s.individual = int64(cfg.MessagesPerSecond) - s.merged
	return s, nil
}

// Sales returns the room totals the service keeps.
func (s *Service) Sales() *roomstats.Sales { return s.sales }

func (s *Service) clock() time.Time { return s.now().UTC() }

// opID derives an operation's ID from its parts: 32 hex digits of their SHA-256.
func opID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// randomOf derives a non-zero IM Random from an operation's ID.
func randomOf(id string) uint32 {
	sum := sha256.Sum256([]byte(id))
	r := binary.BigEndian.Uint32(sum[:4])
	if r == 0 {
		r = 1
	}
	return r
}

// load reads the JSON record of key into into, and returns its encoding and whether there was
// one.
func (s *Service) load(ctx context.Context, key string, into any) ([]byte, bool, error) {
	raw, ok, err := s.kv.Get(ctx, key)
	if err != nil || !ok {
		return nil, false, err
	}
	return raw, true, json.Unmarshal(raw, into)
}

// swap replaces the record of key, encoded as old, with new; a nil old means that there is no
// record yet. It reports whether it did, as CompareAndSwap and PutIfAbsent do.
func (s *Service) swap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	if old == nil {
		return s.kv.PutIfAbsent(ctx, key, new, ttl)
	}
	return s.kv.CompareAndSwap(ctx, key, old, new, ttl)
}

// recordOnce stores raw under key unless the key holds a record already, which it then returns
// decoded into into, so that a repeated operation finds what its first call recorded. It reports
// the record's value and whether it was created now.
func (s *Service) recordOnce(ctx context.Context, key string, raw []byte, into any) ([]byte, bool, error) {
	created, err := s.kv.PutIfAbsent(ctx, key, raw, 0)
	if err != nil || created {
		return raw, created, err
	}
	got, ok, err := s.load(ctx, key, into)
	if err == nil && !ok {
		err = fmt.Errorf("gifts: record %s vanished", key)
	}
	return got, false, err
}

// mustJSON encodes values whose types always encode.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// detachedTimeout bounds the work of one request once it started changing the store.
const detachedTimeout = 15 * time.Second

// detached returns a context for work that must finish even when the caller has gone, bounded
// by detachedTimeout.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), detachedTimeout)
}

// recordTimeout bounds the store calls that record what a request already did, once the
// request's own time is spent.
const recordTimeout = 5 * time.Second

// recording returns ctx, or, when ctx has ended, a context of its values bounded by
// recordTimeout: what was done (a debit, a message IM took, part of a count) must still be
// recorded when a request spent its time doing it.
func recording(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() == nil {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}
