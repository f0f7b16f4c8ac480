// Package standin is a local stand-in for Tencent Cloud IM, for the development server and for
// tests.
//
// An IM serves the IM server REST API under /v4/{service}/{command} with IM's checks, limits and
// error codes, calls the app's IM callbacks the way IM does (BeforeSendMsg decides what members
// receive; AfterSendMsg and the membership callbacks report what happened), and applies IM's
// group message frequency control. Viewers reach it through a small HTTP client API under
// /standin/: they join and leave groups, send messages, and receive what an IM client receives
// as Server-Sent Events whose data are the message objects of Tencent's Web SDK. docs/standin.md
// describes that API.
//
// State lives in memory. With Config.StateFile set, what IM itself would keep across a restart of
// the app (accounts, groups, their fields and members) is also written to that file and read back
// by the next New, so that a development server can stop and start again. The inspection methods (Group, Profile, Messages, ...) let tests
// assert what IM would have stored or delivered.
package standin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Defaults, as Tencent IM documents them.
const (
	defaultCallbackTimeout        = 2 * time.Second
	defaultRESTCallsPerSecond     = 200
	accountImportCallsPerSecond   = 100
	defaultGroupMessagesPerSecond = 40

	// defaultTick is how long a group gathers messages before frequency control delivers the
	// highest priorities first: a tenth of the one-second window.
	defaultTick = 100 * time.Millisecond
	// duplicateWindow is how long a From_Account and Random pair marks a duplicate.
	duplicateWindow = 5 * time.Minute
	// historyLimit bounds the delivered messages kept per group for inspection.
	historyLimit = 10000
	// keepAliveInterval separates the comments that keep an idle event stream open.
	keepAliveInterval = 15 * time.Second
	// subscriberBuffer is how many events a viewer's stream may lag behind before the stream
	// is ended.
	subscriberBuffer = 256
)

// Config configures an IM.
type Config struct {
	// SDKAppID, SecretKey and Admin identify the app: REST calls must name this SDKAppID and
	// this admin, with a UserSig made with this key.
	SDKAppID  int
	SecretKey string
	Admin     string

	// CallbackURL is where IM callbacks are sent; empty turns callbacks off.
	CallbackURL string
	// CallbackToken, when set, makes every callback carry Sign and RequestTime, with
	// Sign = hex(sha256(CallbackToken + RequestTime)).
	CallbackToken string
	// CallbackTimeout bounds each callback; 0 means IM's 2 s.
	CallbackTimeout time.Duration

	// RESTCallsPerSecond limits each REST command to this many calls in any one-second
	// window; 0 means IM's 200 (100 for account_import), and a negative value turns the limit
	// off. account_import is limited to the smaller of this value and 100.
	RESTCallsPerSecond int
	// GroupMessagesPerSecond limits the messages delivered to one group in any one-second
	// window; 0 means IM's 40, and a negative value turns frequency control off.
	GroupMessagesPerSecond int

	// Now returns the current time; nil means time.Now. It drives UserSig expiry, mute expiry,
	// duplicate detection, rate limits and the times reported to callbacks and clients.
	Now func() time.Time
	// HTTPClient sends callbacks; nil means a client of its own.
	HTTPClient *http.Client
	// Logger receives what the stand-in does; nil discards it.
	Logger *slog.Logger

	// StateFile, when set, keeps the accounts, groups and group custom field keys across
	// restarts: New reads the file when it exists, changes are written to it at most every
	// SaveInterval (0 means every second), and Close writes it a last time. Each write replaces
	// the file whole. Message history is not kept.
	StateFile    string
	SaveInterval time.Duration
}

// IM is a running stand-in. Its methods are safe for concurrent use.
type IM struct {
	cfg         Config
	now         func() time.Time
	log         *slog.Logger
	client      *http.Client
	callbackURL *url.URL
	handler     http.Handler
	tick        time.Duration
	keepAlive   time.Duration
	limits      restLimits

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	mu        sync.Mutex
	closed    bool
	accounts  map[string]*account
	groups    map[string]*group
	fieldKeys []string // group custom field keys in use by the app, at most tim.MaxGroupFields
	dupes     map[dupeKey]*dupeEntry
	dupeOrder []*dupeEntry
	serial    uint64 // numbers system messages
	dirty     bool   // the state changed since it was last saved to StateFile

	saveStop chan struct{} // closed by Close to stop the periodic saves
	saveDone chan struct{} // closed when the periodic saves have stopped
}

// New validates cfg and returns a running stand-in. The admin account exists from the start.
func New(cfg Config) (*IM, error) {
	var problems []error
	if cfg.SDKAppID <= 0 {
		problems = append(problems, errors.New("SDKAppID must be positive"))
	}
	if cfg.SecretKey == "" {
		problems = append(problems, errors.New("SecretKey is required"))
	}
	if err := checkUserID(cfg.Admin); err != nil {
		problems = append(problems, fmt.Errorf("invalid Admin: %s", err.info))
	}
	var callbackURL *url.URL
	if cfg.CallbackURL != "" {
		u, err := url.Parse(cfg.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Errorf("CallbackURL %q is not an absolute http(s) URL", cfg.CallbackURL))
		}
		callbackURL = u
	}
	if cfg.CallbackTimeout < 0 {
		problems = append(problems, errors.New("CallbackTimeout must not be negative"))
	}
	if cfg.SaveInterval < 0 {
		problems = append(problems, errors.New("SaveInterval must not be negative"))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("standin: %w", errors.Join(problems...))
	}
	if cfg.CallbackTimeout == 0 {
		cfg.CallbackTimeout = defaultCallbackTimeout
	}
	if cfg.RESTCallsPerSecond == 0 {
		cfg.RESTCallsPerSecond = defaultRESTCallsPerSecond
	}
	if cfg.GroupMessagesPerSecond == 0 {
		cfg.GroupMessagesPerSecond = defaultGroupMessagesPerSecond
	}
	if cfg.SaveInterval == 0 {
		cfg.SaveInterval = defaultSaveInterval
	}
	im := &IM{
		cfg:         cfg,
		now:         cfg.Now,
		log:         cfg.Logger,
		client:      cfg.HTTPClient,
		callbackURL: callbackURL,
		tick:        defaultTick,
		keepAlive:   keepAliveInterval,
		accounts:    make(map[string]*account),
		groups:      make(map[string]*group),
		dupes:       make(map[dupeKey]*dupeEntry),
	}
	if im.now == nil {
		im.now = time.Now
	}
	if im.log == nil {
		im.log = slog.New(slog.DiscardHandler)
	}
	if im.client == nil {
		im.client = &http.Client{}
	}
	if err := im.loadState(); err != nil {
		return nil, fmt.Errorf("standin: %w", err)
	}
	if im.accounts[cfg.Admin] == nil {
		im.accounts[cfg.Admin] = newAccount(cfg.Admin, im.now())
	}
	im.ctx, im.cancel = context.WithCancel(context.Background())
	im.handler = im.routes()
	if cfg.StateFile != "" {
		im.saveStop, im.saveDone = make(chan struct{}), make(chan struct{})
		go im.saveLoop(cfg.SaveInterval, im.saveStop, im.saveDone)
	}
	return im, nil
}

// Handler serves the REST API at /v4/{service}/{command} and the viewer client API under
// /standin/. It expects the full request path: mount it without stripping a prefix.
func (im *IM) Handler() http.Handler { return im.handler }

func (im *IM) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v4/{service}/{command}", im.serveREST)
	mux.HandleFunc("/v4/", im.serveUnknownREST)
	mux.HandleFunc("GET /standin/groups/{groupId}", im.serveGroupProfile)
	mux.HandleFunc("POST /standin/groups/{groupId}/members", im.serveJoin)
	mux.HandleFunc("DELETE /standin/groups/{groupId}/members/me", im.serveQuit)
	mux.HandleFunc("POST /standin/groups/{groupId}/messages", im.serveSend)
	mux.HandleFunc("GET /standin/groups/{groupId}/events", im.serveEvents)
	mux.HandleFunc("OPTIONS /standin/", servePreflight)
	return withCORS(mux)
}

// Close ends every event stream, answers messages still waiting for frequency control with an
// internal error, and waits for callbacks in flight, which it cancels; then it writes the state
// to Config.StateFile, when set. The handler keeps answering REST calls afterwards, but no longer
// delivers messages, calls callbacks or saves the state. A second call returns once the first has
// finished.
func (im *IM) Close() { im.closeOnce.Do(im.close) }

func (im *IM) close() {
	im.mu.Lock()
	im.closed = true
	for _, g := range im.groups {
		im.abandonPendingLocked(g, errorf(codeInternal, "the stand-in is closing"))
		for s := range g.subs {
			im.endStreamLocked(g, s, "closed")
		}
	}
	im.mu.Unlock()
	im.cancel()
	im.wg.Wait()
	if im.saveStop != nil {
		close(im.saveStop)
		<-im.saveDone
		im.save()
	}
}

// Settle waits for the work the stand-in has started in the background, such as after-callbacks,
// to finish. A REST or viewer call starts such work before it answers, so once a caller's calls
// have returned, Settle waits for all the work they caused, without cancelling it as Close does.
func (im *IM) Settle() { im.wg.Wait() }

// goAsyncLocked runs f in the background unless the stand-in is closed, so that Close can wait for
// it. The caller holds im.mu.
func (im *IM) goAsyncLocked(f func()) {
	if im.closed {
		return
	}
	im.wg.Add(1)
	go func() {
		defer im.wg.Done()
		f()
	}()
}

// callbacksOn reports whether callbacks are configured.
func (im *IM) callbacksOn() bool { return im.callbackURL != nil }

// errClosed is the error of calls that need background work after Close.
var errClosed = errorf(codeInternal, "the stand-in is closed")
