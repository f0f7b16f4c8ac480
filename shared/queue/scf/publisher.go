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
	"time"

	"github.com/uriba-live/uriba/shared/cloudapi"
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

// Publisher invokes the consumer function asynchronously with activities. It implements
// queue.Publisher.
type Publisher struct {
	client *cloudapi.Client
	cfg    Config
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
	client, err := cloudapi.New(cloudapi.Config{
		Service: service, Version: version,
		SecretID: cfg.SecretID, SecretKey: cfg.SecretKey.Reveal(), Token: cfg.Token.Reveal(), Region: cfg.Region,
		BaseURL: cfg.BaseURL, Attempts: cfg.Attempts, RetryDelay: retryDelay,
	})
	if err != nil {
		return nil, fmt.Errorf("scf: %w", err)
	}
	return &Publisher{client: client, cfg: cfg}, nil
}

// retryDelay is the pause before the first repeat of an Invoke call (see cloudapi.Config); one
// event costs at most Config.Attempts Invoke calls.
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

// invoke calls Invoke for one event, repeating it while the failure may pass (see
// cloudapi.Retryable), after which SCF may or may not have the event.
func (p *Publisher) invoke(ctx context.Context, event string) error {
	return p.client.Call(ctx, action, map[string]any{
		"FunctionName":   p.cfg.Function,
		"Namespace":      p.cfg.Namespace,
		"InvocationType": "Event",
		"ClientContext":  event,
	}, nil)
}
