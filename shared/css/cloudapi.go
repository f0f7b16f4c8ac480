package css

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/cloudapi"
)

// The Cloud API product and version of live streaming.
const (
	Service        = "live"
	Version        = "2018-08-01"
	DefaultBaseURL = "https://live.tencentcloudapi.com"
)

// Defaults of APIConfig.
const (
	DefaultAttempts = 4
	retryDelay      = 200 * time.Millisecond
)

// MaxForbid is the longest a stream can be forbidden: ResumeTime is at most 90 days ahead.
const MaxForbid = 90 * 24 * time.Hour

// APIConfig configures an API client.
type APIConfig struct {
	SecretID  string
	SecretKey string
	Token     string // a session token, with temporary keys
	Region    string
	// BaseURL replaces https://live.tencentcloudapi.com, for a stand-in.
	BaseURL string
	// Attempts bounds the tries of one call that fails for a rate limit, an internal error or
	// the network; DefaultAttempts when 0.
	Attempts int
}

// API calls the stream management actions of the Cloud API.
type API struct {
	client *cloudapi.Client
}

// NewAPI returns a client of the live product's Cloud API.
func NewAPI(cfg APIConfig) (*API, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	client, err := cloudapi.New(cloudapi.Config{
		Service: Service, Version: Version,
		SecretID: cfg.SecretID, SecretKey: cfg.SecretKey, Token: cfg.Token, Region: cfg.Region,
		BaseURL: cfg.BaseURL, Attempts: cfg.Attempts, RetryDelay: retryDelay, Retryable: retryable,
	})
	if err != nil {
		return nil, fmt.Errorf("css: %w", err)
	}
	return &API{client: client}, nil
}

// CountCalls makes the client report each attempt of an action to count, for measurements.
func (a *API) CountCalls(count func(action string)) { a.client.CountCalls(count) }

// StreamRef names a stream.
type StreamRef struct {
	Domain string // the push domain
	App    string
	Stream string
}

// ErrStreamGone reports that a stream is not being pushed (or never was): dropping it is done.
var ErrStreamGone = errors.New("css: the stream is not active")

// Drop disconnects the stream's push (DropLiveStream). A stream that is not active yields an
// error matching ErrStreamGone.
func (a *API) Drop(ctx context.Context, s StreamRef) error {
	return a.call(ctx, "DropLiveStream", map[string]any{"StreamName": s.Stream, "DomainName": s.Domain, "AppName": s.App}, nil)
}

// Forbid refuses pushes of the stream until resume (ForbidLiveStream), at most MaxForbid ahead.
func (a *API) Forbid(ctx context.Context, s StreamRef, resume time.Time) error {
	params := map[string]any{"StreamName": s.Stream, "DomainName": s.Domain, "AppName": s.App}
	if !resume.IsZero() {
		params["ResumeTime"] = resume.UTC().Format(time.RFC3339)
	}
	return a.call(ctx, "ForbidLiveStream", params, nil)
}

// Resume accepts pushes of a forbidden stream again (ResumeLiveStream).
func (a *API) Resume(ctx context.Context, s StreamRef) error {
	return a.call(ctx, "ResumeLiveStream", map[string]any{"StreamName": s.Stream, "DomainName": s.Domain, "AppName": s.App}, nil)
}

// OnlineStream is one entry of DescribeLiveStreamOnlineList.
type OnlineStream struct {
	StreamName string `json:"StreamName"`
	AppName    string `json:"AppName"`
	DomainName string `json:"DomainName"`
}

// Online lists the streams being pushed to the domain and app, page by page (page size 100).
func (a *API) Online(ctx context.Context, domain, app string) ([]OnlineStream, error) {
	var all []OnlineStream
	for page := 1; ; page++ {
		var out struct {
			Response struct {
				OnlineInfo []OnlineStream
				TotalPage  int
			}
		}
		err := a.call(ctx, "DescribeLiveStreamOnlineList", map[string]any{"DomainName": domain, "AppName": app, "PageNum": page, "PageSize": 100}, &out)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Response.OnlineInfo...)
		if page >= out.Response.TotalPage {
			return all, nil
		}
	}
}

// call sends one action, repeating it while the failure may pass (see retryable), and decodes
// the reply into out when out is not nil.
func (a *API) call(ctx context.Context, action string, params map[string]any, out any) error {
	err := a.client.Call(ctx, action, params, out)
	switch {
	case err == nil:
		return nil
	case gone(err):
		return fmt.Errorf("%s %s: %w: %w", action, params["StreamName"], ErrStreamGone, err)
	}
	return fmt.Errorf("%s: %w", action, err)
}

// gone reports a Cloud API error saying that the stream is not active.
func gone(err error) bool {
	code := cloudapi.Code(err)
	return strings.Contains(code, "StreamNotAlive") || strings.Contains(code, "StreamNotExist")
}

// retryable reports whether a failure may pass: what cloudapi.Retryable says, and the live
// product's failure to reach its own back end; never a stream that is not active.
func retryable(err error) bool {
	return !gone(err) && (cloudapi.Retryable(err) || strings.HasPrefix(cloudapi.Code(err), "FailedOperation.CallOtherSvrFailed"))
}
