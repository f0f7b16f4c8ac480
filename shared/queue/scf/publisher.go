// Package scf carries activities on Tencent Cloud by invoking the levelupdater SCF function
// asynchronously: Publisher calls the Cloud API action Invoke (service scf, version 2018-04-16)
// with InvocationType "Event" and the activities as the function's event, {"activities":[…]},
// and Consumer decodes that event on the function's side.
//
// SCF retries an asynchronous invocation whose function fails (twice by default), and an Invoke
// call that failed on the way back may have been accepted; consumers deduplicate by Activity.ID,
// so both are harmless.
package scf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	tccommon "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/uriba-live/uriba/shared/backoff"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
)

// The Cloud API action the Publisher calls.
const (
	service = "scf"
	version = "2018-04-16"
	action  = "Invoke"
)

// Defaults of Config.
const (
	DefaultFunction  = "levelupdater"
	DefaultNamespace = "default"
	DefaultBaseURL   = "https://scf.tencentcloudapi.com"
	// DefaultMaxPayload keeps each event under the 128 KB SCF accepts for an asynchronous
	// invocation.
	DefaultMaxPayload = 120 << 10
	// DefaultAttempts bounds the Invoke calls for one event, the first included.
	DefaultAttempts = 3
	// defaultTimeout bounds one Invoke call.
	defaultTimeout = 5 * time.Second
)

// Config configures a Publisher.
type Config struct {
	// SecretID, SecretKey and Token (a session token, when the keys are temporary) sign the
	// calls.
	SecretID  string
	SecretKey config.Secret
	Token     config.Secret
	// Region is the region of the function, such as "ap-singapore".
	Region string
	// Function and Namespace name the function to invoke.
	Function  string
	Namespace string
	// BaseURL is the Cloud API endpoint; a local stand-in or test server replaces it.
	BaseURL string
	// MaxPayload bounds the bytes of one event; larger publications are split.
	MaxPayload int
	// Attempts bounds the Invoke calls for one event when the Cloud API is rate limited or fails.
	Attempts int
}

// endpoint splits a base URL into the SDK's scheme and endpoint (host and path).
func endpoint(base string) (scheme, host string, err error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", errors.New("not an absolute http(s) URL")
	}
	return strings.ToUpper(u.Scheme), u.Host + strings.TrimSuffix(u.Path, "/"), nil
}

// Publisher invokes the consumer function asynchronously with activities. It implements
// queue.Publisher.
type Publisher struct {
	client *tccommon.Client
	cfg    Config
	retry  backoff.Policy
}

var _ queue.Publisher = (*Publisher)(nil)

// New returns a Publisher for cfg.
func New(cfg Config) (*Publisher, error) {
	if cfg.SecretID == "" || cfg.SecretKey == "" || cfg.Region == "" {
		return nil, errors.New("scf: SecretID, SecretKey and Region are required")
	}
	if cfg.Function == "" {
		cfg.Function = DefaultFunction
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	scheme, host, err := endpoint(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("scf: base URL %q: %w", cfg.BaseURL, err)
	}
	p := profile.NewClientProfile()
	p.HttpProfile.Scheme = scheme
	p.HttpProfile.Endpoint = host
	p.HttpProfile.ReqTimeout = int(defaultTimeout / time.Second)
	p.Language = "en-US"
	// Repeats happen in invoke alone; the SDK's own are switched off (their default, made sure).
	p.NetworkFailureMaxRetries, p.RateLimitExceededMaxRetries = 0, 0
	var cred tccommon.CredentialIface = tccommon.NewCredential(cfg.SecretID, cfg.SecretKey.Reveal())
	if cfg.Token != "" {
		cred = tccommon.NewTokenCredential(cfg.SecretID, cfg.SecretKey.Reveal(), cfg.Token.Reveal())
	}
	return &Publisher{
		client: tccommon.NewCommonClient(cred, cfg.Region, p),
		cfg:    cfg,
		retry:  backoff.Policy{Attempts: cfg.Attempts, Base: retryDelay},
	}, nil
}

// retryDelay is the pause before the first repeat of an Invoke call; it doubles for each further
// one, and the upper half of each pause is random. The SDK client itself does not retry (New sets
// NetworkFailureMaxRetries and RateLimitExceededMaxRetries to 0), so one event costs at most
// Config.Attempts Invoke calls.
const retryDelay = 100 * time.Millisecond

// PublishError reports the activities that were not handed over; see queue.PublishError.
type PublishError = queue.PublishError

// CodePublishFailed is the stable code of a *PublishError.
const CodePublishFailed = queue.CodePublishFailed

// Publish invokes the function once per event of at most MaxPayload bytes, in order, repeating
// an invocation that was rate limited or failed on the way. Unlike the port's default, a failure
// is partial: the returned *PublishError names the activities whose invocation failed, and every
// other activity was handed to SCF.
func (p *Publisher) Publish(ctx context.Context, activities ...live.Activity) error {
	if len(activities) == 0 {
		return nil
	}
	var failed []string
	var cause error
	fail := func(ids []string, err error) {
		failed = append(failed, ids...)
		if cause == nil {
			cause = err
		}
	}
	const head, tail = `{"activities":[`, `]}`
	event := []byte(head)
	var ids []string
	flush := func() {
		if len(ids) == 0 {
			return
		}
		event = append(event, tail...)
		if err := p.invoke(ctx, string(event)); err != nil {
			fail(ids, err)
		}
		event, ids = append(event[:0], head...), ids[:0]
	}
	for i := range activities {
		a, err := json.Marshal(&activities[i])
		if err != nil {
			fail([]string{activities[i].ID}, fmt.Errorf("encode activity: %w", err))
			continue
		}
		if len(head)+len(a)+len(tail) > p.cfg.MaxPayload {
			fail([]string{activities[i].ID}, fmt.Errorf("activity of %d bytes exceeds the event limit of %d", len(a), p.cfg.MaxPayload))
			continue
		}
		if len(event)+1+len(a)+len(tail) > p.cfg.MaxPayload {
			flush()
		}
		if len(ids) > 0 {
			event = append(event, ',')
		}
		event = append(event, a...)
		ids = append(ids, activities[i].ID)
	}
	flush()
	if len(failed) == 0 {
		return nil
	}
	return &PublishError{Transport: "scf", Failed: failed, Err: cause}
}

// invoke calls Invoke for one event, repeating it while the failure may pass.
func (p *Publisher) invoke(ctx context.Context, event string) error {
	return backoff.Retry(ctx, p.retry, func(int) error {
		req := tchttp.NewCommonRequest(service, version, action)
		req.SetContext(ctx)
		if err := req.SetActionParameters(map[string]any{
			"FunctionName":   p.cfg.Function,
			"Namespace":      p.cfg.Namespace,
			"InvocationType": "Event",
			"ClientContext":  event,
		}); err != nil {
			return backoff.Permanent(err)
		}
		err := p.client.Send(req, tchttp.NewCommonResponse())
		if err != nil && !retryable(err) {
			return backoff.Permanent(err)
		}
		return err
	})
}

// retryable reports whether an Invoke failure may pass: a rate limit, an internal error of the
// Cloud API, or a failure on the network, after which SCF may or may not have the event.
func retryable(err error) bool {
	var sdk *tcerrors.TencentCloudSDKError
	if !errors.As(err, &sdk) {
		return true // a network failure
	}
	code := sdk.GetCode()
	return strings.HasPrefix(code, "RequestLimitExceeded") || strings.HasPrefix(code, "InternalError") ||
		strings.HasPrefix(code, "ResourceUnavailable") || code == "ClientError.NetworkError" ||
		code == "ClientError.HttpStatusCodeError"
}
