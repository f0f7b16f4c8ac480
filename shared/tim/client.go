package tim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uriba-live/uriba/shared/backoff"
)

// ClientConfig configures a Client. SDKAppID, SecretKey, Admin and one of BaseURL or Region are
// required; everything else has a default.
type ClientConfig struct {
	// SDKAppID is the IM app.
	SDKAppID int
	// SecretKey is the app's key, used to sign the admin UserSig. It never appears in errors,
	// logs or the output of String.
	SecretKey string
	// Admin is the app admin account the REST calls are made as.
	Admin string
	// BaseURL is the REST endpoint, such as "https://adminapisgp.im.qcloud.com" or a local
	// stand-in. It wins over Region.
	BaseURL string
	// Region chooses IM's domain when BaseURL is empty; see BaseURLForRegion.
	Region string
	// HTTPClient sends the calls. The default has a dedicated keep-alive transport.
	HTTPClient *http.Client
	// Retry bounds retries; zero fields take their defaults.
	Retry RetryPolicy
	// Now tells the time for the admin UserSig's renewal; it defaults to time.Now. Retry delays
	// and timeouts always use the real clock.
	Now func() time.Time
	// Logger receives retries at Info level. It defaults to discarding.
	Logger *slog.Logger
}

// String describes the configuration without the secret key.
func (c ClientConfig) String() string {
	key := ""
	if c.SecretKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("tim.ClientConfig{SDKAppID:%d SecretKey:%s Admin:%q BaseURL:%q Region:%q}",
		c.SDKAppID, key, c.Admin, c.BaseURL, c.Region)
}

// GoString is String, so that %#v does not print the secret key either.
func (c ClientConfig) GoString() string { return c.String() }

// LogValue logs the configuration without the secret key.
func (c ClientConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("sdkappid", c.SDKAppID),
		slog.String("admin", c.Admin),
		slog.String("base_url", c.BaseURL),
		slog.String("region", c.Region),
	)
}

// RetryPolicy bounds how rate-limited and transient failures are retried: with exponential
// backoff and jitter, at most MaxAttempts times, and never past Budget after the call began. A
// retry starts only when at least 50ms of the budget would be left for it after its delay.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt too; 1 disables retries. Default 4.
	MaxAttempts int
	// BaseDelay is the delay before the first retry, doubled for each further one. Default 50ms.
	BaseDelay time.Duration
	// MaxDelay caps one delay. Default 1s.
	MaxDelay time.Duration
	// Budget caps the whole call, attempts and delays together. Default 5s.
	Budget time.Duration
	// AttemptTimeout caps one attempt; it stays above IM's own 3 s timeout. Default 5s.
	AttemptTimeout time.Duration
}

// Retry defaults.
const (
	DefaultMaxAttempts    = 4
	DefaultBaseDelay      = 50 * time.Millisecond
	DefaultMaxDelay       = time.Second
	DefaultBudget         = 5 * time.Second
	DefaultAttemptTimeout = 5 * time.Second
)

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = max(DefaultMaxDelay, p.BaseDelay)
	}
	if p.Budget == 0 {
		p.Budget = DefaultBudget
	}
	if p.AttemptTimeout == 0 {
		p.AttemptTimeout = DefaultAttemptTimeout
	}
	return p
}

func (p RetryPolicy) check() []error {
	var errs []error
	if p.MaxAttempts < 0 {
		errs = append(errs, errors.New("tim: Retry.MaxAttempts must not be negative"))
	}
	if p.BaseDelay < 0 || p.MaxDelay < 0 || p.Budget < 0 || p.AttemptTimeout < 0 {
		errs = append(errs, errors.New("tim: Retry durations must not be negative"))
	}
	if p.MaxDelay > 0 && p.MaxDelay < p.BaseDelay {
		errs = append(errs, errors.New("tim: Retry.MaxDelay must not be below Retry.BaseDelay"))
	}
	return errs
}

// policy returns the backoff policy of p, which has its defaults: exponential delays from
// BaseDelay capped at MaxDelay, of which the upper half is random, at most MaxAttempts attempts,
// and a retry only while at least minAttemptTime of Budget would be left for it after its delay.
func (p RetryPolicy) policy() backoff.Policy {
	return backoff.Policy{
		Attempts:   p.MaxAttempts,
		Base:       p.BaseDelay,
		Max:        p.MaxDelay,
		Budget:     p.Budget,
		MinAttempt: minAttemptTime,
	}
}

var regionDomains = map[string]string{
	"china":         "https://console.tim.qq.com",
	"cn":            "https://console.tim.qq.com",
	"sgp":           "https://adminapisgp.im.qcloud.com",
	"singapore":     "https://adminapisgp.im.qcloud.com",
	"kr":            "https://adminapikr.im.qcloud.com",
	"seoul":         "https://adminapikr.im.qcloud.com",
	"jpn":           "https://adminapijpn.im.qcloud.com",
	"tokyo":         "https://adminapijpn.im.qcloud.com",
	"ger":           "https://adminapiger.im.qcloud.com",
	"frankfurt":     "https://adminapiger.im.qcloud.com",
	"ind":           "https://adminapiind.im.qcloud.com",
	"mumbai":        "https://adminapiind.im.qcloud.com",
	"usa":           "https://adminapiusa.im.qcloud.com",
	"siliconvalley": "https://adminapiusa.im.qcloud.com",
	"idn":           "https://adminapiidn.im.qcloud.com",
	"jakarta":       "https://adminapiidn.im.qcloud.com",
}

// BaseURLForRegion returns the REST base URL of an IM data centre. It knows china (cn),
// sgp (singapore), kr (seoul), jpn (tokyo), ger (frankfurt), ind (mumbai), usa (siliconvalley)
// and idn (jakarta), in any case, with spaces, '-' and '_' ignored.
func BaseURLForRegion(region string) (string, error) {
	key := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(region)))
	if key == "" {
		return "", errors.New("tim: IM region is empty")
	}
	if u, ok := regionDomains[key]; ok {
		return u, nil
	}
	return "", fmt.Errorf("tim: unknown IM region %q; use china, sgp, kr, jpn, ger, ind, usa or idn", region)
}

// Client calls IM's server REST API as the app admin. It is safe for concurrent use; create one
// per process and share it, so that connections and the admin UserSig are reused.
type Client struct {
	cfg       ClientConfig
	base      string // scheme://host[/prefix], no trailing slash
	http      *http.Client
	transport *http.Transport // the dedicated transport, nil when the caller brought a client
	retry     RetryPolicy
	backoff   backoff.Policy
	now       func() time.Time
	log       *slog.Logger

	creds   atomic.Pointer[adminCreds]
	credsMu sync.Mutex
	genSig  func(sdkAppID int, key, userID string, ttl time.Duration) (string, error)

	// noLowest is set once IM refused MsgPriority "Lowest"; Low is sent instead from then on.
	noLowest atomic.Bool
}

// NewClient checks cfg and returns a client. Every problem with cfg is reported, one per line;
// the messages never contain the secret key.
func NewClient(cfg ClientConfig) (*Client, error) {
	var errs []error
	if cfg.SDKAppID <= 0 || uint64(cfg.SDKAppID) > math.MaxUint32 {
		errs = append(errs, errors.New("tim: SDKAppID must be a positive 32-bit number"))
	}
	if cfg.SecretKey == "" {
		errs = append(errs, errors.New("tim: SecretKey is empty"))
	}
	if cfg.Admin == "" {
		errs = append(errs, errors.New("tim: Admin (the app admin account) is empty"))
	} else if err := ValidateUserID(cfg.Admin); err != nil {
		var e *Error
		if errors.As(err, &e) {
			err = errors.New(e.Detail)
		}
		errs = append(errs, fmt.Errorf("tim: Admin (the app admin account) %w", err))
	}
	base, err := resolveBase(cfg.BaseURL, cfg.Region)
	if err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, cfg.Retry.check()...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	c := &Client{
		cfg:    cfg,
		base:   base,
		http:   cfg.HTTPClient,
		retry:  cfg.Retry.withDefaults(),
		now:    cfg.Now,
		log:    cfg.Logger,
		genSig: genAdminSig,
	}
	c.backoff = c.retry.policy()
	if c.http == nil {
		c.transport = newTransport()
		c.http = &http.Client{Transport: c.transport}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func resolveBase(baseURL, region string) (string, error) {
	if baseURL == "" {
		if region == "" {
			return "", errors.New("tim: neither BaseURL nor Region is set; set one to choose IM's domain")
		}
		return BaseURLForRegion(region)
	}
	u, err := url.Parse(baseURL)
	switch {
	case err != nil:
		return "", errors.New("tim: BaseURL is not a valid URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return "", errors.New("tim: BaseURL must start with https:// (or http:// for a local stand-in)")
	case u.Host == "":
		return "", errors.New("tim: BaseURL has no host")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", errors.New("tim: BaseURL must not carry credentials, a query or a fragment")
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// newTransport returns the dedicated keep-alive transport of a client: enough idle connections
// per host for IM's 200 calls per second, a cap on open ones so that a burst queues instead of
// exhausting file descriptors, and timeouts that leave attempts to the per-attempt context.
func newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          128,
		MaxIdleConnsPerHost:   64,
		MaxConnsPerHost:       256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// RetryBudget returns the longest one call of the client may take, its attempts and the pauses
// between them together: the Budget of its RetryPolicy. Callers that hold something while they
// wait for IM, such as a lease, size it from this.
func (c *Client) RetryBudget() time.Duration { return c.retry.Budget }

// BaseURL returns the REST base URL the client calls.
func (c *Client) BaseURL() string { return c.base }

// CloseIdleConnections closes the idle connections of the client's transport.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// replier is a reply type: every one embeds Reply.
type replier interface{ envelope() *Reply }

func (r *Reply) envelope() *Reply { return r }

// replyPtr is the pointer of a reply type R.
type replyPtr[R any] interface {
	*R
	replier
}

// call sends req to IM's call (service/command) and decodes the reply into a new R. repeatable
// says whether the call may be sent again after a failure that leaves unknown whether IM applied
// it; rate limits and failures to connect are retried either way.
func call[R any, P replyPtr[R]](ctx context.Context, c *Client, name string, repeatable bool, req any) (R, error) {
	var out R
	err := c.do(ctx, name, repeatable, req, func() replier {
		var zero R
		out = zero
		return P(&out)
	})
	return out, err
}

// minAttemptTime is the least budget worth starting another attempt with.
const minAttemptTime = 50 * time.Millisecond

// maxReplyBytes bounds a reply; IM's own limit is 1 MB.
const maxReplyBytes = 4 << 20

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// do runs the attempts of one call.
func (c *Client) do(ctx context.Context, name string, repeatable bool, req any, fresh func() replier) error {
	body, err := json.Marshal(req)
	if err != nil {
		return &Error{Call: name, Kind: KindInvalid, Detail: "encoding the request failed", Err: err}
	}
	if len(body) == 0 || string(body) == "null" {
		body = []byte("{}")
	}
	run := c.backoff.Start()
	for {
		attempt := run.Attempt()
		creds, err := c.credentials()
		if err != nil {
			return in(name, err)
		}
		left, _ := run.Remaining()
		failure, maybeApplied := c.attempt(ctx, name, creds, body, fresh(), left)
		if failure == nil {
			return nil
		}
		failure.Call = name
		failure.Attempts = attempt
		retryable := failure.Kind == KindRateLimited ||
			(failure.Kind == KindTransient && (repeatable || !maybeApplied))
		if !retryable {
			return failure
		}
		if ctx.Err() != nil {
			return stopped(failure, ctx)
		}
		delay, ok := run.Next()
		if !ok {
			return exhausted(failure)
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "tim: retrying IM call",
			slog.String("call", name),
			slog.Int("attempt", attempt),
			slog.String("kind", failure.Kind.String()),
			slog.Int("im_code", failure.IMCode),
			slog.Duration("delay", delay))
		if run.Wait(ctx, delay) != nil {
			return stopped(failure, ctx)
		}
	}
}

// exhausted turns the last failure of a spent retry budget into the error the caller sees.
func exhausted(last *Error) *Error {
	if last.Kind == KindTransient {
		last.Kind = KindUnavailable
	}
	return last
}

// stopped reports a call abandoned because its context ended.
func stopped(last *Error, ctx context.Context) *Error {
	e := *last
	if e.Kind == KindUnavailable {
		e.Kind = KindTransient
	}
	e.Err = ctx.Err()
	e.Detail = "stopped by the caller's context"
	return &e
}

// attempt sends the call once, within left of the call's budget. maybeApplied is false only when
// the failure proves IM did not act on the request (it could not be delivered, or IM refused it
// for its rate).
func (c *Client) attempt(ctx context.Context, name string, creds *adminCreds, body []byte, out replier, left time.Duration) (failure *Error, maybeApplied bool) {
	timeout := min(c.retry.AttemptTimeout, left)
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var u strings.Builder
	u.Grow(len(c.base) + len(name) + len(creds.query) + 40)
	u.WriteString(c.base)
	u.WriteString("/v4/")
	u.WriteString(name)
	u.WriteByte('?')
	u.WriteString(creds.query)
	u.WriteString(strconv.FormatUint(uint64(rand.Uint32()), 10))
	u.WriteString("&contenttype=json")

	req, err := http.NewRequestWithContext(actx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return &Error{Kind: KindInvalid, Detail: "building the request failed"}, false
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return &Error{Kind: KindTransient, Err: c.redact(name, err)}, !dialFailed(err)
	}
	defer func() {
		// Drain what is left so the connection goes back to the pool.
		_, _ = io.CopyN(io.Discard, res.Body, 64<<10)
		_ = res.Body.Close()
	}()

	switch {
	case res.StatusCode >= 500:
		return &Error{Kind: KindTransient, HTTPStatus: res.StatusCode}, true
	case res.StatusCode == http.StatusTooManyRequests:
		return &Error{Kind: KindRateLimited, HTTPStatus: res.StatusCode}, false
	case res.StatusCode != http.StatusOK:
		return &Error{Kind: KindRejected, HTTPStatus: res.StatusCode, Detail: "unexpected HTTP status"}, true
	}

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 {
			bufPool.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(res.Body, maxReplyBytes+1)); err != nil {
		return &Error{Kind: KindTransient, Detail: "reading the reply failed", Err: c.redact(name, err)}, true
	}
	if buf.Len() > maxReplyBytes {
		return &Error{Kind: KindRejected, Detail: "reply larger than 4 MB"}, true
	}
	if err := json.Unmarshal(buf.Bytes(), out); err != nil {
		return &Error{Kind: KindTransient, Detail: "reply is not IM's JSON envelope"}, true
	}
	env := out.envelope()
	if env.ActionStatus != StatusFail && env.ErrorCode == 0 {
		return nil, false
	}
	kind := ClassifyCode(env.ErrorCode)
	return &Error{Kind: kind, IMCode: env.ErrorCode, IMInfo: c.scrub(env.ErrorInfo, creds)}, kind != KindRateLimited
}

// redact replaces the URL of a transport error, which carries the admin UserSig, with the
// call's URL without its query.
func (c *Client) redact(name string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: c.base + "/v4/" + name, Err: ue.Err}
	}
	return err
}

// scrub removes the UserSig and the key from text IM sends back, in case it echoes them.
func (c *Client) scrub(info string, creds *adminCreds) string {
	if creds.sig != "" && strings.Contains(info, creds.sig) {
		info = strings.ReplaceAll(info, creds.sig, "[redacted]")
	}
	if strings.Contains(info, c.cfg.SecretKey) {
		info = strings.ReplaceAll(info, c.cfg.SecretKey, "[redacted]")
	}
	return info
}

// dialFailed reports whether err happened before the request could leave: a failed DNS lookup
// or connect.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
