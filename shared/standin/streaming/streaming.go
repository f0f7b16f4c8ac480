// Package streaming is a local stand-in for Tencent Cloud live streaming, for the dev server and
// for tests. It answers the Cloud API 3.0 actions uriba calls (DropLiveStream, ForbidLiveStream,
// ResumeLiveStream, DescribeLiveStreamOnlineList) in the API's envelope, and simulates anchors:
// a push started with a signed push URL makes the stream online and sends a signed push-start
// callback (event_type 1); a push stopped, dropped or forbidden sends an interruption (0). A
// forbidden stream refuses pushes, as the real service refuses its push URL.
//
// State lives in memory. With Config.StateFile set, the streams online and the streams forbidden
// (with their resume times) are also written to that file after each change and read back by the
// next New, since the streaming service, unlike the app, does not restart.
package streaming

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uriba-live/uriba/shared/css"
	"github.com/uriba-live/uriba/shared/standin/statefile"
)

// Config configures a Live.
type Config struct {
	// PushDomain, App and PushKey are the push domain, app and key push URLs must be signed with;
	// an empty PushKey accepts unsigned pushes.
	PushDomain string
	App        string
	PushKey    string
	// SecretID is the Cloud API key's ID that calls must be signed with; empty accepts any.
	SecretID string
	// CallbackURL receives the stream callbacks, signed with CallbackKey; empty sends none.
	CallbackURL string
	CallbackKey string
	// CallbackRetries and RetryInterval: a callback that fails is repeated up to CallbackRetries
	// times (Tencent: 12), RetryInterval apart (Tencent: a minute); 0 retries means none.
	CallbackRetries int
	RetryInterval   time.Duration
	// Now tells the time; time.Now when nil.
	Now func() time.Time
	// Logger receives what the stand-in does; nil discards it.
	Logger *slog.Logger
	// StateFile, when set, keeps the online and forbidden streams across restarts: New reads
	// it when it exists, and each change replaces it.
	StateFile string
}

// Live is the stand-in. Its methods are safe for concurrent use.
type Live struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger

	mu        sync.Mutex
	online    map[string]time.Time // stream → push start
	forbidden map[string]time.Time // stream → resume time
	calls     []string
	failures  map[string][]string // action → codes to answer next
	seq       int64
	closed    chan struct{}
	wg        sync.WaitGroup
	saveMu    sync.Mutex // orders the writes of StateFile
}

// New returns a stand-in, with the streams of Config.StateFile when it exists. It fails only
// when that file cannot be read.
func New(cfg Config) (*Live, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Minute
	}
	l := &Live{cfg: cfg, client: &http.Client{Timeout: 20 * time.Second}, log: cfg.Logger,
		online: map[string]time.Time{}, forbidden: map[string]time.Time{}, failures: map[string][]string{},
		seq: cfg.Now().UnixNano(), closed: make(chan struct{})}
	if err := l.load(); err != nil {
		return nil, err
	}
	return l, nil
}

// savedState is what StateFile holds.
type savedState struct {
	Version   int                  `json:"version"`
	Online    map[string]time.Time `json:"online,omitempty"`    // stream → push start
	Forbidden map[string]time.Time `json:"forbidden,omitempty"` // stream → resume time
}

// load reads StateFile, when it is set and exists; forbidden streams already resumed are left out.
func (l *Live) load() error {
	if l.cfg.StateFile == "" {
		return nil
	}
	var s savedState
	found, err := statefile.Load(l.cfg.StateFile, &s)
	if err != nil || !found {
		return err
	}
	if s.Version != 1 {
		return fmt.Errorf("streaming: %s has layout version %d, not 1: delete it to start afresh", l.cfg.StateFile, s.Version)
	}
	now := l.cfg.Now()
	for stream, until := range s.Forbidden {
		if now.Before(until) {
			l.forbidden[stream] = until
		}
	}
	for stream, start := range s.Online {
		l.online[stream] = start
	}
	return nil
}

// save writes the streams to StateFile, when it is set; a failed write is logged.
func (l *Live) save() {
	if l.cfg.StateFile == "" {
		return
	}
	l.saveMu.Lock()
	defer l.saveMu.Unlock()
	l.mu.Lock()
	now := l.cfg.Now()
	s := savedState{Version: 1, Online: make(map[string]time.Time, len(l.online)), Forbidden: make(map[string]time.Time, len(l.forbidden))}
	for stream, start := range l.online {
		s.Online[stream] = start
	}
	for stream, until := range l.forbidden {
		if now.Before(until) {
			s.Forbidden[stream] = until
		}
	}
	l.mu.Unlock()
	if err := statefile.Save(l.cfg.StateFile, s); err != nil {
		l.log.Warn("stream state not saved", "err", strings.TrimPrefix(err.Error(), "statefile: "))
	}
}

// SetCallbackURL changes where the stream callbacks are sent.
func (l *Live) SetCallbackURL(u string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cfg.CallbackURL = u
}

// Close stops the callback retries in progress.
func (l *Live) Close() {
	l.mu.Lock()
	select {
	case <-l.closed:
	default:
		close(l.closed)
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// Handler serves the Cloud API (POST to any path under /standin/cloudapi/, or "/" when served
// alone) and the simulation API: POST /standin/streams/{stream} starts a push, DELETE stops it.
func (l *Live) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /standin/streams/{stream}", l.servePush)
	mux.HandleFunc("DELETE /standin/streams/{stream}", l.serveStop)
	mux.HandleFunc("GET /standin/streams/{stream}", l.serveState)
	mux.HandleFunc("POST /", l.serveAPI)
	return mux
}

// Errors of StartPush.
var (
	ErrForbidden = errors.New("streaming: the stream is forbidden")
	ErrBadURL    = errors.New("streaming: the push URL's signature is missing, wrong or expired")
)

// StartPush simulates an anchor starting a push of stream with a push URL whose query is query
// ("txSecret=…&txTime=…"). It is refused when the stream is forbidden or the URL's signature
// does not hold; otherwise the stream goes online and the push-start callback is sent. It returns
// the callback's HTTP status (0 when none was sent or it failed).
func (l *Live) StartPush(ctx context.Context, stream, query string) (int, error) {
	now := l.cfg.Now()
	l.mu.Lock()
	if until, ok := l.forbidden[stream]; ok && now.Before(until) {
		l.mu.Unlock()
		return 0, ErrForbidden
	}
	l.mu.Unlock()
	if l.cfg.PushKey != "" && !css.CheckURL(l.cfg.PushKey, stream, query, now) {
		return 0, ErrBadURL
	}
	l.mu.Lock()
	l.online[stream] = now
	l.mu.Unlock()
	l.save()
	l.log.Info("push started", "stream", stream)
	return l.send(ctx, stream, css.EventPushStarted), nil
}

// StopPush simulates the anchor stopping the push of stream, and reports whether it was online.
func (l *Live) StopPush(ctx context.Context, stream string) (bool, int) {
	l.mu.Lock()
	_, ok := l.online[stream]
	delete(l.online, stream)
	l.mu.Unlock()
	if !ok {
		return false, 0
	}
	l.save()
	l.log.Info("push stopped", "stream", stream)
	return true, l.send(ctx, stream, css.EventPushStopped)
}

// Online reports whether stream is being pushed.
func (l *Live) Online(stream string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.online[stream]
	return ok
}

// Forbidden reports whether stream is forbidden now, and until when.
func (l *Live) Forbidden(stream string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.forbidden[stream]
	return until, ok && l.cfg.Now().Before(until)
}

// Calls returns the Cloud API actions called so far, in order.
func (l *Live) Calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

// Fail makes the next calls of action answer the Cloud API error code, once per code given, such
// as "RequestLimitExceeded" or "InternalError".
func (l *Live) Fail(action string, codes ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures[action] = append(l.failures[action], codes...)
}

// Event returns a signed stream callback of stream, as the service would send it now.
func (l *Live) Event(stream string, eventType int) map[string]any {
	now := l.cfg.Now()
	l.mu.Lock()
	l.seq++
	seq := l.seq
	l.mu.Unlock()
	t := now.Add(10 * time.Minute).Unix()
	e := map[string]any{
		"appid": 1250000000, "app": l.cfg.PushDomain, "appname": l.cfg.App, "stream_id": stream, "channel_id": stream,
		"event_type": eventType, "event_time": now.Unix(), "sequence": fmt.Sprint(seq), "t": t,
		"user_ip": "127.0.0.1", "errcode": 0, "errmsg": "ok", "stream_param": "",
	}
	if l.cfg.CallbackKey != "" {
		e["sign"] = css.CallbackSign(l.cfg.CallbackKey, t)
	}
	return e
}

// send posts a callback of stream and returns the status of the first attempt; a failed one is
// repeated in the background.
func (l *Live) send(ctx context.Context, stream string, eventType int) int {
	l.mu.Lock()
	target := l.cfg.CallbackURL
	l.mu.Unlock()
	if target == "" {
		return 0
	}
	body, _ := json.Marshal(l.Event(stream, eventType))
	return l.Deliver(ctx, target, body)
}

// Deliver posts the callback body to target and returns the status of the first attempt; a
// failed one is repeated in the background, as the service repeats it.
func (l *Live) Deliver(ctx context.Context, target string, body []byte) int {
	status := l.post(ctx, target, body)
	if status != http.StatusOK && l.cfg.CallbackRetries > 0 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; i < l.cfg.CallbackRetries; i++ {
				select {
				case <-l.closed:
					return
				case <-time.After(l.cfg.RetryInterval):
				}
				if l.post(context.Background(), target, body) == http.StatusOK {
					return
				}
			}
		}()
	}
	return status
}

func (l *Live) post(ctx context.Context, target string, body []byte) int {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		l.log.Warn("stream callback failed", "err", err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// pushQuery returns the signature query of a simulated push: the request's own query, or that of
// the push URL in a {"pushUrl": …} body.
func pushQuery(r *http.Request) string {
	if r.URL.Query().Get("txSecret") != "" {
		return r.URL.RawQuery
	}
	var body struct {
		PushURL string `json:"pushUrl"`
	}
	if json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<16)).Decode(&body) != nil {
		return ""
	}
	u, err := url.Parse(body.PushURL)
	if err != nil {
		return ""
	}
	if u.Scheme == "srt" {
		// srt://domain:9000?streamid=#!::h=…,r=app/stream,txSecret=…,txTime=…
		q := url.Values{}
		for _, part := range strings.Split(u.Fragment, ",") {
			if k, v, ok := strings.Cut(part, "="); ok && (k == "txSecret" || k == "txTime") {
				q.Set(k, v)
			}
		}
		return q.Encode()
	}
	return u.RawQuery
}

func (l *Live) servePush(w http.ResponseWriter, r *http.Request) {
	stream := r.PathValue("stream")
	status, err := l.StartPush(r.Context(), stream, pushQuery(r))
	switch {
	case errors.Is(err, ErrForbidden):
		problem(w, http.StatusForbidden, "forbidden", "The stream "+stream+" is forbidden; the streaming service refuses its push URL.")
	case errors.Is(err, ErrBadURL):
		problem(w, http.StatusUnauthorized, "unauthorized", "Send the push URL's txSecret and txTime as the query, or {\"pushUrl\": \"…\"}; its signature must hold.")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"stream": stream, "online": true, "callbackStatus": status})
	}
}

func (l *Live) serveStop(w http.ResponseWriter, r *http.Request) {
	stream := r.PathValue("stream")
	was, status := l.StopPush(r.Context(), stream)
	if !was {
		problem(w, http.StatusNotFound, "not_found", "The stream "+stream+" is not being pushed.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"stream": stream, "online": false, "callbackStatus": status})
}

func (l *Live) serveState(w http.ResponseWriter, r *http.Request) {
	stream := r.PathValue("stream")
	until, forbidden := l.Forbidden(stream)
	out := map[string]any{"stream": stream, "online": l.Online(stream), "forbidden": forbidden}
	if forbidden {
		out["forbiddenUntil"] = until.UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, out)
}

func (l *Live) serveAPI(w http.ResponseWriter, r *http.Request) {
	action := r.Header.Get("X-TC-Action")
	reqID := newID()
	fail := func(code, msg string) {
		writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{"Error": map[string]string{"Code": code, "Message": msg}, "RequestId": reqID}})
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "TC3-HMAC-SHA256 ") {
		fail("AuthFailure.SignatureFailure", "The request is not signed with TC3-HMAC-SHA256.")
		return
	}
	if l.cfg.SecretID != "" && !strings.Contains(auth, "Credential="+l.cfg.SecretID+"/") {
		fail("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
		return
	}
	if r.Header.Get("X-TC-Version") != css.Version {
		fail("InvalidParameter", "The version must be "+css.Version+".")
		return
	}
	var p struct {
		StreamName, DomainName, AppName, ResumeTime string
		PageNum, PageSize                           int
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&p); err != nil {
		fail("InvalidParameter", "The body is not JSON.")
		return
	}
	now := l.cfg.Now()
	l.mu.Lock()
	l.calls = append(l.calls, action)
	var injected string
	if codes := l.failures[action]; len(codes) > 0 {
		injected, l.failures[action] = codes[0], codes[1:]
	}
	l.mu.Unlock()
	if injected != "" {
		fail(injected, "Injected failure.")
		return
	}
	switch action {
	case "DropLiveStream", "ForbidLiveStream", "ResumeLiveStream":
		if p.StreamName == "" || p.DomainName == "" || p.AppName == "" {
			fail("MissingParameter", "StreamName, DomainName and AppName are required.")
			return
		}
		if p.DomainName != l.cfg.PushDomain || p.AppName != l.cfg.App {
			fail("InvalidParameter.DomainFormatError", "The domain or app is not this app's push domain.")
			return
		}
	}
	switch action {
	case "DropLiveStream":
		if !l.Online(p.StreamName) {
			fail("ResourceNotFound.StreamNotAlive", "The stream is not active.")
			return
		}
		l.StopPush(r.Context(), p.StreamName)
	case "ForbidLiveStream":
		until := now.Add(7 * 24 * time.Hour)
		if p.ResumeTime != "" {
			t, err := time.Parse(time.RFC3339, p.ResumeTime)
			if err != nil || t.After(now.Add(css.MaxForbid)) {
				fail("InvalidParameter", "ResumeTime must be an ISO 8601 time at most 90 days ahead.")
				return
			}
			until = t
		}
		l.mu.Lock()
		l.forbidden[p.StreamName] = until
		l.mu.Unlock()
		l.save()
		l.StopPush(r.Context(), p.StreamName)
	case "ResumeLiveStream":
		l.mu.Lock()
		delete(l.forbidden, p.StreamName)
		l.mu.Unlock()
		l.save()
	case "DescribeLiveStreamOnlineList":
		l.describe(w, p.PageNum, p.PageSize, reqID, fail)
		return
	default:
		fail("InvalidAction", "The action "+action+" is not served by this stand-in.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{"RequestId": reqID}})
}

func (l *Live) describe(w http.ResponseWriter, page, size int, reqID string, fail func(code, msg string)) {
	if page == 0 {
		page = 1
	}
	if size == 0 {
		size = 10
	}
	if size < 10 || size > 100 || page < 1 {
		fail("InvalidParameter", "PageSize must be 10 to 100 and PageNum at least 1.")
		return
	}
	l.mu.Lock()
	starts := maps.Clone(l.online)
	l.mu.Unlock()
	names := slices.Sorted(maps.Keys(starts))
	info := []map[string]any{}
	for i := (page - 1) * size; i < len(names) && i < page*size; i++ {
		info = append(info, map[string]any{"StreamName": names[i], "AppName": l.cfg.App, "DomainName": l.cfg.PushDomain,
			"PublishTimeList": []map[string]string{{"PublishTime": starts[names[i]].UTC().Format(time.RFC3339)}}})
	}
	totalPage := (len(names) + size - 1) / size
	writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{"TotalNum": len(names), "TotalPage": totalPage,
		"PageNum": page, "PageSize": size, "OnlineInfo": info, "RequestId": reqID}})
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "urn:uriba:problem:" + code, "title": http.StatusText(status),
		"status": status, "code": code, "detail": detail})
}
