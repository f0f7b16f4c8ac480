package css

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
	defaultTimeout  = 5 * time.Second
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

// API calls the stream management actions of the Cloud API through the SDK's CommonClient.
type API struct {
	client *tccommon.Client
	retry  backoff.Policy
	calls  func(action string)
}

// NewAPI returns a client of the live product's Cloud API.
func NewAPI(cfg APIConfig) (*API, error) {
	if cfg.SecretID == "" || cfg.SecretKey == "" || cfg.Region == "" {
		return nil, errors.New("css: SecretID, SecretKey and Region are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("css: base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	p := profile.NewClientProfile()
	p.HttpProfile.Scheme = strings.ToUpper(u.Scheme)
	p.HttpProfile.Endpoint = u.Host + strings.TrimSuffix(u.Path, "/")
	p.HttpProfile.ReqTimeout = int(defaultTimeout / time.Second)
	p.Language = "en-US"
	p.NetworkFailureMaxRetries, p.RateLimitExceededMaxRetries = 0, 0
	var cred tccommon.CredentialIface = tccommon.NewCredential(cfg.SecretID, cfg.SecretKey)
	if cfg.Token != "" {
		cred = tccommon.NewTokenCredential(cfg.SecretID, cfg.SecretKey, cfg.Token)
	}
	return &API{
		client: tccommon.NewCommonClient(cred, cfg.Region, p),
		retry:  backoff.Policy{Attempts: cfg.Attempts, Base: retryDelay},
	}, nil
}

// CountCalls makes the client report each attempt of an action to count, for measurements.
func (a *API) CountCalls(count func(action string)) { a.calls = count }

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

// call sends one action, repeating it while the failure may pass (rate limits, internal errors,
// the network), and decodes the reply into out when out is not nil.
func (a *API) call(ctx context.Context, action string, params map[string]any, out any) error {
	return backoff.Retry(ctx, a.retry, func(int) error {
		if a.calls != nil {
			a.calls(action)
		}
		req := tchttp.NewCommonRequest(Service, Version, action)
		req.SetContext(ctx)
		if err := req.SetActionParameters(params); err != nil {
			return backoff.Permanent(err)
		}
		resp := tchttp.NewCommonResponse()
		err := a.client.Send(req, resp)
		if err != nil {
			if gone(err) {
				return backoff.Permanent(fmt.Errorf("%s %s: %w: %w", action, params["StreamName"], ErrStreamGone, err))
			}
			if !retryable(err) {
				return backoff.Permanent(fmt.Errorf("%s: %w", action, err))
			}
			return fmt.Errorf("%s: %w", action, err)
		}
		if out != nil {
			return backoff.Permanent(json.Unmarshal(resp.GetBody(), out))
		}
		return nil
	})
}

// gone reports a Cloud API error saying that the stream is not active.
func gone(err error) bool {
	var sdk *tcerrors.TencentCloudSDKError
	if !errors.As(err, &sdk) {
		return false
	}
	code := sdk.GetCode()
	return strings.Contains(code, "StreamNotAlive") || strings.Contains(code, "StreamNotExist")
}

// retryable reports whether a failure may pass: a rate limit, an internal error of the Cloud
// API, or a failure on the network.
func retryable(err error) bool {
	var sdk *tcerrors.TencentCloudSDKError
	if !errors.As(err, &sdk) {
		return true
	}
	code := sdk.GetCode()
	return strings.HasPrefix(code, "RequestLimitExceeded") || strings.HasPrefix(code, "InternalError") ||
		strings.HasPrefix(code, "ResourceUnavailable") || code == "ClientError.NetworkError" ||
		code == "ClientError.HttpStatusCodeError" || strings.HasPrefix(code, "FailedOperation.CallOtherSvrFailed")
}
