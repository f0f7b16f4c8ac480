// Package cloudapi calls Tencent Cloud API actions through the SDK's CommonClient, for every
// product uriba calls (live streaming, SCF): one way to set the client up (endpoint, credentials,
// timeouts, the SDK's own retries off) and one rule for which failures are worth repeating.
package cloudapi

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

// Timeout bounds one call.
const Timeout = 5 * time.Second

// Config configures a Client.
type Config struct {
	// Service and Version name the product's API, such as "live" and "2018-08-01".
	Service, Version string
	// SecretID, SecretKey and Token (a session token, with temporary keys) sign the calls.
	SecretID, SecretKey, Token string
	Region                     string
	// BaseURL is the product's endpoint, such as https://live.tencentcloudapi.com; a stand-in
	// replaces it.
	BaseURL string
	// Attempts bounds the tries of one action, the first included, and RetryDelay is the pause
	// before the first repeat (it doubles, the upper half of each pause random).
	Attempts   int
	RetryDelay time.Duration
	// Retryable reports whether a failure may pass; Retryable when nil.
	Retryable func(error) bool
}

// Client calls one product's actions. The SDK client itself never repeats a call, so an action
// costs at most Config.Attempts calls.
type Client struct {
	client           *tccommon.Client
	service, version string
	retry            backoff.Policy
	retryable        func(error) bool
	calls            func(action string)
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.SecretID == "" || cfg.SecretKey == "" || cfg.Region == "" {
		return nil, errors.New("SecretID, SecretKey and Region are required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	p := profile.NewClientProfile()
	p.HttpProfile.Scheme = strings.ToUpper(u.Scheme)
	p.HttpProfile.Endpoint = u.Host + strings.TrimSuffix(u.Path, "/")
	p.HttpProfile.ReqTimeout = int(Timeout / time.Second)
	p.Language = "en-US"
	// Repeats happen in Call alone; the SDK's own are switched off (their default, made sure).
	p.NetworkFailureMaxRetries, p.RateLimitExceededMaxRetries = 0, 0
	var cred tccommon.CredentialIface = tccommon.NewCredential(cfg.SecretID, cfg.SecretKey)
	if cfg.Token != "" {
		cred = tccommon.NewTokenCredential(cfg.SecretID, cfg.SecretKey, cfg.Token)
	}
	if cfg.Retryable == nil {
		cfg.Retryable = Retryable
	}
	return &Client{
		client:    tccommon.NewCommonClient(cred, cfg.Region, p),
		service:   cfg.Service,
		version:   cfg.Version,
		retry:     backoff.Policy{Attempts: max(cfg.Attempts, 1), Base: cfg.RetryDelay},
		retryable: cfg.Retryable,
	}, nil
}

// CountCalls makes the client report each attempt of an action to count, for measurements.
func (c *Client) CountCalls(count func(action string)) { c.calls = count }

// Call sends action with params, repeating it while the failure may pass, and decodes the
// reply into out when out is not nil. It returns the last failure as the SDK reported it.
func (c *Client) Call(ctx context.Context, action string, params map[string]any, out any) error {
	return backoff.Retry(ctx, c.retry, func(int) error {
		if c.calls != nil {
			c.calls(action)
		}
		req := tchttp.NewCommonRequest(c.service, c.version, action)
		req.SetContext(ctx)
		if err := req.SetActionParameters(params); err != nil {
			return backoff.Permanent(err)
		}
		resp := tchttp.NewCommonResponse()
		if err := c.client.Send(req, resp); err != nil {
			if !c.retryable(err) {
				return backoff.Permanent(err)
			}
			return err
		}
		if out != nil {
			return backoff.Permanent(json.Unmarshal(resp.GetBody(), out))
		}
		return nil
	})
}

// Code returns the Cloud API's error code of err, such as "InternalError", or "" when err is
// not an error the API answered.
func Code(err error) string {
	var sdk *tcerrors.TencentCloudSDKError
	if !errors.As(err, &sdk) {
		return ""
	}
	return sdk.GetCode()
}

// Retryable reports whether a failure may pass: a rate limit, an internal error of the Cloud
// API, or a failure on the network, after which the action may or may not have been done.
func Retryable(err error) bool {
	code := Code(err)
	return code == "" || strings.HasPrefix(code, "RequestLimitExceeded") || strings.HasPrefix(code, "InternalError") ||
		strings.HasPrefix(code, "ResourceUnavailable") || code == "ClientError.NetworkError" ||
		code == "ClientError.HttpStatusCodeError"
}
