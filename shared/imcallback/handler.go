// Package imcallback answers Tencent IM's callbacks for live rooms: it verifies each callback,
// moderates messages before they are delivered, keeps clients from forging server-only events
// such as gifts, counts likes and viewers, and turns delivered messages into viewer activities.
//
// IM calls POST /v1/callbacks/im for every message in every room and waits at most 2 seconds,
// then delivers the message anyway. The handler therefore decides everything a message's fate
// depends on without I/O, from pooled buffers, and waits for the store and the queue at most
// Config.IOBudget: when they fail or take longer the callback is still answered as a success
// (fail-open). I/O that takes longer goes on in the background, up to BackgroundIOLimit; every
// failure is logged and counted in Metrics. Each callback costs a few store calls whatever its
// size: a membership callback naming thousands of members is counted in one addition.
//
// Replies:
//
//   - A verified callback is answered HTTP 200 with IM's envelope
//     {"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}. A BeforeSendMsg reply may instead carry
//     ErrorCode 2 (discard silently), CodeModerated or CodeServerOnly (refuse, and show ErrorInfo to
//     the sender), or a replacement MsgBody (mask mode).
//   - A callback that fails verification is answered HTTP 403 (another SdkAppid) or 401 (missing,
//     stale or wrong Sign) with {"ActionStatus":"FAIL","ErrorCode":1,...}. IM treats any non-200
//     answer as a failed callback, so for a genuine BeforeSendMsg whose check failed (a token
//     mismatch after a rotation, a skewed clock) IM delivers the message unmoderated: the same
//     fail-open IM applies to timeouts. Forged requests get nothing but the refusal.
//   - Wrong method (405), a body over Config.MaxBody (413) and a body that is not JSON (400) get
//     the same FAIL envelope; IM fails open on them too.
//
// Unknown commands are answered OK and ignored.
package imcallback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/tim"
)

// Path is where IM sends callbacks.
const Path = "/v1/callbacks/im"

// Moderator finds banned words. Contains reports whether text has one; Mask returns text with
// every banned word replaced by '*' and whether it replaced anything. It must be safe for
// concurrent use and must not do I/O.
type Moderator interface {
	Contains(text string) bool
	Mask(text string) (string, bool)
}

// Publisher hands activities to the activity queue.
type Publisher interface {
	Publish(ctx context.Context, activities ...live.Activity) error
}

// Deps are the Handler's collaborators. Any of them may be nil: without a Moderator nothing is
// moderated, without Stats likes and viewers are not counted, without a Publisher no activities
// are produced.
type Deps struct {
	Moderator Moderator
	Stats     *roomstats.Stats
	Publisher Publisher
	// LikeTotals is told of each room whose likes were counted, to schedule the update of its
	// like total; nil leaves the total unpublished.
	LikeTotals LikeTotals
	// Logger receives refused callbacks and I/O failures at warn level; nil discards them.
	Logger *slog.Logger
	// Now tells the time for activities whose callback carries none; nil means time.Now.
	Now func() time.Time
}

// LikeTotals schedules the publication of rooms' like totals; *liketotal.Elector is one.
type LikeTotals interface {
	Liked(ctx context.Context, room string) error
}

// Handler serves IM callbacks. It is an http.Handler and safe for concurrent use.
type Handler struct {
	cfg        Config
	serverOnly map[string]struct{}
	mod        Moderator
	stats      *roomstats.Stats
	pub        Publisher
	likeTotals LikeTotals
	log        *slog.Logger
	now        func() time.Time
	m          counters
	// ioWarn and refusedWarn keep a store outage or a flood of forged callbacks from flooding
	// the log.
	ioWarn, refusedWarn logLimiter
	// inflight tracks the callbacks whose I/O has not ended.
	inflight ioTracker
	// replayMemory is how long a counted like message is remembered: longer than a signed
	// callback stays valid, and than IM's own five-minute duplicate window.
	replayMemory time.Duration
}

// New returns a Handler. It panics when cfg.Validate reports a problem: the function's assembly
// checks its settings first.
func New(cfg Config, deps Deps) *Handler {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	h := &Handler{
		cfg:        cfg,
		serverOnly: make(map[string]struct{}, len(cfg.ServerOnlyEvents)),
		mod:        deps.Moderator,
		stats:      deps.Stats,
		pub:        deps.Publisher,
		likeTotals: deps.LikeTotals,
		log:        deps.Logger,
		now:        deps.Now,
	}
	for _, e := range cfg.ServerOnlyEvents {
		h.serverOnly[e] = struct{}{}
	}
	h.replayMemory = replayMemory(cfg.Verifier.Window)
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// Register adds POST /v1/callbacks/im to rt.
func (h *Handler) Register(rt *httpapi.Router) {
	rt.Handle(http.MethodPost+" "+Path, func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	})
}

// ServeHTTP answers one callback.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		h.m.badRequests.Add(1)
		w.Header().Set("Allow", http.MethodPost)
		writeReply(w, http.StatusMethodNotAllowed, replyMethod)
		return
	}
	s := getScratch()
	defer putScratch(s)
	// A malformed escape spoils only its own parameter; Verify judges what is left.
	query, command := s.parseQuery(r.URL.RawQuery)
	if err := h.cfg.Verifier.Verify(query); err != nil {
		h.refuse(w, r, err)
		return
	}
	if r.ContentLength > h.cfg.MaxBody {
		h.m.badRequests.Add(1)
		writeReply(w, http.StatusRequestEntityTooLarge, replyTooLarge)
		return
	}
	body, err := readBody(r.Body, s.body[:0], h.cfg.MaxBody)
	s.body = body
	if err != nil {
		h.m.badRequests.Add(1)
		var tooBig *http.MaxBytesError
		if errors.Is(err, errTooLarge) || errors.As(err, &tooBig) {
			writeReply(w, http.StatusRequestEntityTooLarge, replyTooLarge)
			return
		}
		writeReply(w, http.StatusBadRequest, replyUnreadable)
		return
	}
	status, reply := h.handle(r.Context(), command, body, s)
	writeReply(w, status, reply)
}

// refuse answers a callback that failed verification.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	h.m.refused.Add(1)
	if ok, suppressed := h.refusedWarn.allow(); ok {
		h.log.WarnContext(r.Context(), "IM callback refused", "err", err, "client", r.RemoteAddr, "suppressed", suppressed)
	}
	switch {
	case errors.Is(err, tim.ErrWrongApp):
		writeReply(w, http.StatusForbidden, replyWrongApp)
	case errors.Is(err, tim.ErrUnsigned):
		writeReply(w, http.StatusUnauthorized, replyUnsigned)
	case errors.Is(err, tim.ErrStale):
		writeReply(w, http.StatusUnauthorized, replyStale)
	default:
		writeReply(w, http.StatusUnauthorized, replyBadSign)
	}
}

// handle answers a verified callback's body. It never panics on any input.
func (h *Handler) handle(ctx context.Context, command string, body []byte, s *scratch) (int, []byte) {
	status, reply := h.dispatch(ctx, command, body, s)
	if status == http.StatusOK {
		h.m.callbacks.Add(1)
	} else {
		h.m.badRequests.Add(1)
	}
	return status, reply
}

// dispatch decodes what command needs from body and acts on it. The command comes from the
// query, where IM always puts it, or else from the body.
func (h *Handler) dispatch(ctx context.Context, command string, body []byte, s *scratch) (int, []byte) {
	if command == "" {
		var c commandOnly
		if err := tolerant(json.Unmarshal(body, &c)); err != nil {
			return h.malformed(ctx, "", err)
		}
		command = c.CallbackCommand
	}
	switch command {
	case tim.CmdBeforeSendMsg:
		if err := s.decodeSendMsg(body); err != nil {
			if errors.Is(err, errDuplicateKey) {
				return http.StatusOK, h.ambiguous(ctx)
			}
			return h.malformed(ctx, command, err)
		}
		return http.StatusOK, h.beforeSendMsg(ctx, s)
	case tim.CmdAfterSendMsg:
		if err := s.decodeSendMsg(body); err != nil {
			return h.malformed(ctx, command, err)
		}
		h.afterSendMsg(ctx, s)
	case tim.CmdAfterNewMemberJoin, tim.CmdAfterMemberExit:
		if err := s.decodeMembers(body); err != nil {
			return h.malformed(ctx, command, err)
		}
		h.membersChanged(ctx, command == tim.CmdAfterNewMemberJoin, &s.members)
	case tim.CmdStateChange:
		h.stateChanged(ctx, body)
	}
	return http.StatusOK, replyOK
}

// malformed answers a body that is not the JSON a command expects.
func (h *Handler) malformed(ctx context.Context, command string, err error) (int, []byte) {
	if h.log.Enabled(ctx, slog.LevelWarn) {
		h.log.WarnContext(ctx, "IM callback body malformed", "command", command, "err", err)
	}
	return http.StatusBadRequest, replyMalformed
}

// stateChanged logs a login, logout or disconnection.
func (h *Handler) stateChanged(ctx context.Context, body []byte) {
	if !h.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	var sc stateChange
	_ = json.Unmarshal(body, &sc)
	h.log.DebugContext(ctx, "IM state change", "user", sc.Info.ToAccount, "action", sc.Info.Action, "reason", sc.Info.Reason)
}

// errTooLarge reports a body longer than the limit.
var errTooLarge = errors.New("imcallback: body too large")

// readBody appends r's content to buf, failing with errTooLarge past limit bytes.
func readBody(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	if r == nil {
		return buf, nil
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// privileged reports whether a message was sent by the admin, or through the REST API by the admin
// on behalf of another account.
func (h *Handler) privileged(m *sendMsg) bool {
	return h.cfg.Admin != "" && (m.FromAccount == h.cfg.Admin || m.OperatorAccount == h.cfg.Admin)
}

// isServerOnly reports whether event is one only the server may send.
func (h *Handler) isServerOnly(event string) bool {
	_, ok := h.serverOnly[event]
	return ok
}

// BackgroundIOLimit bounds the I/O of one callback, counted from the moment that I/O
// starts: past IOBudget the reply goes out and the I/O goes on in the background until it is done
// or this limit is reached. On Lambda and SCF an instance may be frozen as soon as it has replied,
// so background I/O goes on only while the instance next runs, and is lost when the instance is
// retired first: a fitting IOBudget keeps that rare.
const BackgroundIOLimit = 10 * time.Second

// I/O states, from the start of runIO to the first of the reply and the I/O's end.
const (
	ioRunning  int32 = iota
	ioDone           // the I/O ended first: the reply reports its outcome
	ioDetached       // the reply went out first: the I/O reports its own outcome
)

// runIO runs f, in its own goroutine so that a store or queue that ignores its context cannot
// hold the reply, and waits for it at most IOBudget. f's context keeps the callback's values but
// not its cancellation, and ends BackgroundIOLimit after f starts. When f outlasts
// the budget the caller answers the callback while f goes on; Wait waits for it. Failures, also
// those of background I/O, and replies sent before their I/O ended are logged and counted.
func (h *Handler) runIO(ctx context.Context, op, room string, f func(context.Context) error) {
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), BackgroundIOLimit)
	var state atomic.Int32
	done := make(chan error, 1)
	h.inflight.start()
	go func() {
		defer h.inflight.end()
		defer cancel()
		err := h.call(work, f)
		if state.CompareAndSwap(ioRunning, ioDone) {
			done <- err
			return
		}
		// The reply has gone out: this I/O reports its own outcome.
		if err != nil {
			h.ioFailed(work, op, room, err, true)
			return
		}
		h.m.ioLate.Add(1)
	}()
	timer := time.NewTimer(h.cfg.IOBudget)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			h.ioFailed(ctx, op, room, err, false)
		}
	case <-timer.C:
		if !state.CompareAndSwap(ioRunning, ioDetached) {
			if err := <-done; err != nil {
				h.ioFailed(ctx, op, room, err, false)
			}
			return
		}
		h.m.ioTimeouts.Add(1)
		if ok, suppressed := h.ioWarn.allow(); ok {
			h.log.WarnContext(ctx, "IM callback answered before its I/O ended; it goes on in the background",
				"op", op, "room", trimID(room), "budget", h.cfg.IOBudget, "suppressed", suppressed)
		}
	}
}

// call runs f, turning a panic into an error.
func (h *Handler) call(ctx context.Context, f func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{v}
		}
	}()
	return f(ctx)
}

// ioFailed counts and logs a failed store or queue call; background tells whether the callback
// was answered before it failed.
func (h *Handler) ioFailed(ctx context.Context, op, room string, err error, background bool) {
	h.m.ioErrors.Add(1)
	if ok, suppressed := h.ioWarn.allow(); ok {
		msg := "IM callback answered without its I/O"
		if background {
			msg = "IM callback I/O failed in the background"
		}
		h.log.WarnContext(ctx, msg, "op", op, "room", trimID(room), "err", err, "suppressed", suppressed)
	}
}

// Wait blocks until no callback's I/O is running, or ctx ends, whichever comes first; it reports
// ctx's error in the second case. A server calls it when shutting down, after it stopped taking
// callbacks, so that I/O still going on in the background is not cut short.
func (h *Handler) Wait(ctx context.Context) error {
	idle := h.inflight.idleChan()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ioTracker counts the callbacks whose I/O is running. Unlike a sync.WaitGroup it may be waited
// for while new I/O starts.
type ioTracker struct {
	mu      sync.Mutex
	running int
	idle    chan struct{} // closed when running drops to zero
}

func (t *ioTracker) start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running == 0 {
		t.idle = make(chan struct{})
	}
	t.running++
}

func (t *ioTracker) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running--
	if t.running == 0 {
		close(t.idle)
	}
}

// idleChan returns a channel closed once nothing runs, or nil when nothing runs now.
func (t *ioTracker) idleChan() chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running == 0 {
		return nil
	}
	return t.idle
}

// replayMemory returns how long to remember a counted like message when signed callbacks are
// accepted within window of their RequestTime (tim.DefaultCallbackWindow when it is zero): a
// callback replayed anywhere in the window meets the record of its first delivery.
func replayMemory(window time.Duration) time.Duration {
	if window <= 0 {
		window = tim.DefaultCallbackWindow
	}
	return max(5*time.Minute, 2*window+time.Minute)
}

// panicError is a panic of a store or queue adapter, recovered.
type panicError struct{ v any }

func (p *panicError) Error() string { return fmt.Sprintf("imcallback: the adapter panicked: %v", p.v) }

// logLimiter lets one log line through per second and counts the lines it holds back.
type logLimiter struct {
	last       atomic.Int64 // Unix nanoseconds of the last line let through
	suppressed atomic.Uint64
}

// allow reports whether a line may be logged now and, if so, how many were held back since the
// last one.
func (l *logLimiter) allow() (ok bool, suppressed uint64) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if now-last < int64(time.Second) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return false, 0
	}
	return true, l.suppressed.Swap(0)
}

// counters are the Handler's metrics.
type counters struct {
	callbacks, refused, badRequests                 atomic.Uint64
	rejected, forged, masked, dropped, moderated    atomic.Uint64
	likes, likeMessages, absorbed                   atomic.Uint64
	activities, joins, leaves, ioErrors, ioTimeouts atomic.Uint64
	ioLate                                          atomic.Uint64
}

// Metrics is a snapshot of a Handler's counters since it was created.
type Metrics struct {
	Callbacks   uint64 // verified callbacks answered
	Refused     uint64 // callbacks that failed verification (app, Sign, RequestTime)
	BadRequests uint64 // wrong method, oversize or malformed bodies
	Moderated   uint64 // messages with a banned word, whatever the mode did with them
	Rejected    uint64 // BeforeSendMsg refusals: banned words in reject mode and forged events
	Forged      uint64 // server-only events sent by clients (part of Rejected)
	Masked      uint64 // messages delivered with banned words masked
	Dropped     uint64 // messages discarded for banned words in drop mode
	LikeMsgs    uint64 // like messages seen in BeforeSendMsg
	Likes       uint64 // likes counted (a message may carry several)
	Absorbed    uint64 // like messages discarded after counting (AbsorbLikes)
	Activities  uint64 // activities published
	Joins       uint64 // viewers counted in
	Leaves      uint64 // viewers counted out
	IOErrors    uint64 // store or queue calls that failed, before or after the reply
	IOTimeouts  uint64 // callbacks answered before their I/O ended, which went on in the background
	IOLate      uint64 // background I/O that then ended well
}

// Metrics returns a snapshot of the handler's counters.
func (h *Handler) Metrics() Metrics {
	m := &h.m
	return Metrics{
		Callbacks: m.callbacks.Load(), Refused: m.refused.Load(), BadRequests: m.badRequests.Load(),
		Moderated: m.moderated.Load(), Rejected: m.rejected.Load(), Forged: m.forged.Load(),
		Masked: m.masked.Load(), Dropped: m.dropped.Load(), LikeMsgs: m.likeMessages.Load(),
		Likes: m.likes.Load(), Absorbed: m.absorbed.Load(), Activities: m.activities.Load(),
		Joins: m.joins.Load(), Leaves: m.leaves.Load(), IOErrors: m.ioErrors.Load(), IOTimeouts: m.ioTimeouts.Load(),
		IOLate: m.ioLate.Load(),
	}
}

// trimID keeps log lines short when an ID is absurdly long.
func trimID(s string) string {
	if len(s) > 64 {
		return strings.ToValidUTF8(s[:64], "") + "…"
	}
	return s
}
