// Package streams connects rooms to their live streams: it hands out signed push and play URLs,
// applies the streaming service's callbacks to the room (a push start makes it live, an
// interruption pauses it), and ends rooms whose time is up or whose stream stayed away too long
// by dropping and forbidding the stream, announcing LIVE_ENDED and marking the room ended.
package streams

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/uriba-live/uriba/shared/css"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// Defaults of Config.
const (
	DefaultURLTTL      = 24 * time.Hour
	DefaultGrace       = 30 * time.Minute
	DefaultIdleTimeout = 15 * time.Minute
	DefaultMaxPerRun   = 100
	// seenTTL keeps a recording or screenshot callback's dedupe record past Tencent's retries
	// (up to 12, a minute apart).
	seenTTL = time.Hour
)

// Config configures a Service.
type Config struct {
	// Domains names the push and play domains, the app and the URL keys.
	Domains css.Domains
	// CallbackKey checks stream callbacks' sign; empty accepts them unsigned (a laptop only).
	CallbackKey string
	// URLTTL is how long push and play URLs stay valid, never past the room's scheduled end plus
	// Grace; DefaultURLTTL when 0.
	URLTTL time.Duration
	// Grace is how long a room may run past its scheduled end; DefaultGrace when 0.
	Grace time.Duration
	// IdleTimeout ends a room that stayed paused this long; DefaultIdleTimeout when 0, never
	// when negative.
	IdleTimeout time.Duration
	// ForbidFor is how long an ended room's stream is refused (ForbidLiveStream's ResumeTime);
	// URLTTL when 0 (no push URL outlives it), no forbidding when negative.
	ForbidFor time.Duration
	// MaxPerRun bounds the rooms one run ends; the rest wait for the next run.
	MaxPerRun int
	// DestroyGroupAfter, when positive, destroys an ended room's IM group that long after it ended.
	DestroyGroupAfter time.Duration
	// EndOnDropFailure ends a due room even when its stream could not be dropped; otherwise the
	// room stays as it is and the next run tries again.
	EndOnDropFailure bool
	// Now tells the time; time.Now when nil.
	Now func() time.Time
	// Logger receives what the service does; nil discards it.
	Logger *slog.Logger
}

// KV is the part of the store the service uses for dedupe and group destruction records.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
	Delete(ctx context.Context, key string) (bool, error)
	Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error)
}

// Cloud drops and forbids streams. *css.API implements it.
type Cloud interface {
	Drop(ctx context.Context, s css.StreamRef) error
	Forbid(ctx context.Context, s css.StreamRef, resume time.Time) error
}

// IM sends the end of a live to its room and destroys its group. *tim.Client implements it.
type IM interface {
	SendGroupMsg(ctx context.Context, req tim.SendGroupMsgRequest) (tim.SendGroupMsgReply, error)
	DestroyGroup(ctx context.Context, groupID string) error
}

// Service runs rooms' streams.
type Service struct {
	rooms *rooms.Service
	kv    KV
	cloud Cloud
	im    IM
	cfg   Config
	log   *slog.Logger
}

// New returns a Service. cloud and im may be nil for a service that only issues URLs and applies
// callbacks.
func New(rs *rooms.Service, kv KV, cloud Cloud, im IM, cfg Config) (*Service, error) {
	if rs == nil || kv == nil {
		return nil, errors.New("streams: a rooms service and a store are required")
	}
	if cfg.Domains.PushDomain == "" || cfg.Domains.PlayDomain == "" || cfg.Domains.App == "" {
		return nil, errors.New("streams: the push domain, the play domain and the app are required")
	}
	if cfg.URLTTL <= 0 {
		cfg.URLTTL = DefaultURLTTL
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.ForbidFor == 0 {
		cfg.ForbidFor = cfg.URLTTL
	}
	cfg.ForbidFor = min(cfg.ForbidFor, css.MaxForbid)
	if cfg.MaxPerRun <= 0 {
		cfg.MaxPerRun = DefaultMaxPerRun
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{rooms: rs, kv: kv, cloud: cloud, im: im, cfg: cfg, log: log}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// ref names the stream of room r.
func (s *Service) ref(r live.Room) css.StreamRef {
	return css.StreamRef{Domain: s.cfg.Domains.PushDomain, App: s.cfg.Domains.App, Stream: r.StreamName}
}
