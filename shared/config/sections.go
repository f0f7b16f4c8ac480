package config

// This file names the environment variables that several functions read, each once: the sections
// they share, and the defaults a laptop fills in. A variable only one function reads is named in
// that function's assembly (shared/function/<name>).

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/url"
	"strings"
	"time"
)

// IM holds what a function needs to call Tencent IM's REST API.
type IM struct {
	SDKAppID  int
	SecretKey Secret
	Admin     string
	BaseURL   string // empty when Region names the domain instead
	Region    string
}

// IM reads IM_SDKAPPID, IM_SECRET_KEY, IM_ADMIN (default administrator), IM_BASE_URL and
// IM_REGION.
func (l *Loader) IM() IM {
	c := IM{
		SDKAppID:  l.sdkAppID(),
		SecretKey: l.Secret("IM_SECRET_KEY", "the IM app's secret key (console → app → basic information)", true),
		Admin:     l.imAdmin(),
		BaseURL:   l.String("IM_BASE_URL", ""),
		Region:    l.String("IM_REGION", ""),
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			l.Problemf("IM_BASE_URL is %q: it must be an absolute http(s) URL such as https://adminapisgp.im.qcloud.com.", c.BaseURL)
		}
	} else if c.Region == "" {
		l.Problemf("Neither IM_BASE_URL nor IM_REGION is set: set IM_REGION (for example sgp, jpn, kr, ger, usa, ind, idn or china) or IM_BASE_URL.")
	}
	return c
}

// IMCallbacks holds what a function needs to accept Tencent IM's callbacks. It holds no key that
// could call IM or make UserSigs.
type IMCallbacks struct {
	SDKAppID int
	Admin    string
	Token    Secret        // empty: callbacks are accepted unsigned (only on a laptop)
	Window   time.Duration // how far RequestTime may be from now
}

// MinCallbackToken is the shortest IM callback token a deployed function accepts.
const MinCallbackToken = 16

// IMCallbacks reads IM_SDKAPPID, IM_ADMIN, IM_CALLBACK_TOKEN and IM_CALLBACK_WINDOW (default 60s).
// Outside a laptop the token is required, at least MinCallbackToken characters long.
func (l *Loader) IMCallbacks() IMCallbacks {
	c := IMCallbacks{
		SDKAppID: l.sdkAppID(),
		Admin:    l.imAdmin(),
		Token:    l.Secret("IM_CALLBACK_TOKEN", "", false),
		Window:   l.Duration("IM_CALLBACK_WINDOW", 60*time.Second),
	}
	if l.Local {
		return c
	}
	switch n := len(c.Token.Reveal()); {
	case n == 0:
		l.Problemf("IM_CALLBACK_TOKEN is not set: outside a laptop it must hold the callback authentication token of the IM console (at least %d characters), or anyone could send callbacks.", MinCallbackToken)
	case n < MinCallbackToken:
		l.Problemf("IM_CALLBACK_TOKEN is shorter than %d characters: set a longer token in the IM console and here.", MinCallbackToken)
	}
	return c
}

// sdkAppID reads IM_SDKAPPID, which is required.
func (l *Loader) sdkAppID() int {
	if l.String("IM_SDKAPPID", "") == "" {
		l.Problemf("IM_SDKAPPID is not set: it must hold the IM app's SDKAppID.")
		return 0
	}
	return l.Int("IM_SDKAPPID", 0, 1, 1<<32-1)
}

// imAdmin reads IM_ADMIN, the app admin account, default administrator.
func (l *Loader) imAdmin() string {
	admin := l.String("IM_ADMIN", "administrator")
	if len(admin) > 32 {
		l.Problemf("IM_ADMIN is longer than 32 bytes.")
	}
	return admin
}

// MerchantKeys reads MERCHANT_KEY_SHA256: the SHA-256 digests of the merchant API keys.
func (l *Loader) MerchantKeys() [][32]byte {
	return l.SHA256List("MERCHANT_KEY_SHA256", true)
}

// Store names the store a function uses.
type Store struct {
	Kind   string // "bolt", "dynamodb" or "redis"
	Target string // a file path, a table name or a Redis URL
	AWS    AWS    // the AWS access of a DynamoDB table
}

// Store reads STORE: bolt:<path>, dynamodb:<table> or redis://… (rediss:// too). def applies when
// it is unset.
func (l *Loader) Store(def string) Store {
	raw := l.String("STORE", def)
	switch {
	case strings.HasPrefix(raw, "bolt:") && len(raw) > len("bolt:"):
		return Store{Kind: "bolt", Target: strings.TrimPrefix(raw, "bolt:")}
	case strings.HasPrefix(raw, "dynamodb:") && len(raw) > len("dynamodb:"):
		return Store{Kind: "dynamodb", Target: strings.TrimPrefix(raw, "dynamodb:"), AWS: l.AWS()}
	case strings.HasPrefix(raw, "redis://"), strings.HasPrefix(raw, "rediss://"):
		return Store{Kind: "redis", Target: raw}
	case raw == "":
		l.Problemf("STORE is not set: it must be bolt:<path>, dynamodb:<table> or redis://host:port.")
	default:
		l.Problemf("STORE must be bolt:<path>, dynamodb:<table> or redis://host:port; it is none of those.")
	}
	return Store{}
}

// AWS holds what an AWS client needs, as Lambda hands it to a function in its environment.
type AWS struct {
	Region          string
	AccessKeyID     string
	SecretAccessKey Secret
	SessionToken    Secret
	// DynamoDBEndpoint and SQSEndpoint replace the services' endpoints, for a local server.
	DynamoDBEndpoint string
	SQSEndpoint      string
}

// AWS reads AWS_REGION (or AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, and AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SQS (each defaulting to
// AWS_ENDPOINT_URL). Lambda sets all but the endpoints for every function; shared configuration
// files and instance metadata are not read, which keeps their code out of the binaries.
func (l *Loader) AWS() AWS {
	endpoint := l.String("AWS_ENDPOINT_URL", "")
	c := AWS{
		Region:           l.String("AWS_REGION", l.String("AWS_DEFAULT_REGION", "")),
		AccessKeyID:      l.String("AWS_ACCESS_KEY_ID", ""),
		SecretAccessKey:  l.Secret("AWS_SECRET_ACCESS_KEY", "", false),
		SessionToken:     l.Secret("AWS_SESSION_TOKEN", "", false),
		DynamoDBEndpoint: l.String("AWS_ENDPOINT_URL_DYNAMODB", endpoint),
		SQSEndpoint:      l.String("AWS_ENDPOINT_URL_SQS", endpoint),
	}
	if c.Region == "" {
		l.Problemf("AWS_REGION is not set: it must hold the region of the table and queue (Lambda sets it).")
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		l.Problemf("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set: they hold the credentials of the function's role (Lambda sets them).")
	}
	return c
}

// WordList names the moderation word list.
type WordList struct {
	// File is the path of the word list; empty when Builtin is set.
	File string
	// Builtin selects the small built-in list.
	Builtin bool
}

// WordList reads MODERATION_WORDS_FILE: a path, or "builtin" for the built-in list. Unset means
// the built-in list on a laptop and is a problem elsewhere, since the built-in list is too small
// for a real room.
func (l *Loader) WordList() WordList {
	raw := l.String("MODERATION_WORDS_FILE", "")
	switch {
	case raw == "builtin":
		return WordList{Builtin: true}
	case raw != "":
		return WordList{File: raw}
	case l.Local:
		return WordList{Builtin: true}
	}
	l.Problemf("MODERATION_WORDS_FILE is not set: outside a laptop it must name the word list file, or be builtin to moderate with the small built-in list.")
	return WordList{Builtin: true}
}

// CloudAPI holds access to the Tencent Cloud API.
type CloudAPI struct {
	// SecretID, SecretKey and Token (a session token, when the keys are temporary) sign calls.
	SecretID  string
	SecretKey Secret
	Token     Secret
	// Region is the region called, such as ap-singapore.
	Region string
	// BaseURL replaces the product's endpoint, for a stand-in; empty means the product's own.
	BaseURL string
}

// CloudAPI reads the Cloud API access: CLOUDAPI_SECRET_ID and CLOUDAPI_SECRET_KEY (a permanent
// key), CLOUDAPI_REGION and CLOUDAPI_BASE_URL. Without a key of its own, a function uses the
// temporary credentials SCF gives its execution role (TENCENTCLOUD_SECRETID,
// TENCENTCLOUD_SECRETKEY, TENCENTCLOUD_SESSIONTOKEN). The earlier names TENCENTCLOUD_SECRET_ID,
// TENCENTCLOUD_SECRET_KEY and TENCENTCLOUD_REGION are still accepted, but Tencent reserves the
// TENCENTCLOUD_ prefix for its own variables, so new deployments should not set them. A key and
// its secret are always taken from the same pair of names, and a session token only with the
// role's credentials. purpose says what the access is for, in problems.
func (l *Loader) CloudAPI(purpose string) CloudAPI {
	c := CloudAPI{
		Region:  l.String("CLOUDAPI_REGION", l.String("TENCENTCLOUD_REGION", "")),
		BaseURL: l.String("CLOUDAPI_BASE_URL", ""),
	}
	switch {
	case l.String("CLOUDAPI_SECRET_ID", "") != "":
		c.SecretID = l.String("CLOUDAPI_SECRET_ID", "")
		c.SecretKey = l.Secret("CLOUDAPI_SECRET_KEY", "", false)
	case l.String("TENCENTCLOUD_SECRET_ID", "") != "":
		c.SecretID = l.String("TENCENTCLOUD_SECRET_ID", "")
		c.SecretKey = l.Secret("TENCENTCLOUD_SECRET_KEY", "", false)
	default:
		c.SecretID = l.String("TENCENTCLOUD_SECRETID", "")
		c.SecretKey = l.Secret("TENCENTCLOUD_SECRETKEY", "", false)
		c.Token = l.Secret("TENCENTCLOUD_SESSIONTOKEN", "", false)
	}
	if c.SecretID == "" || c.SecretKey == "" {
		l.Problemf("CLOUDAPI_SECRET_ID and CLOUDAPI_SECRET_KEY are not set, and no execution role gives the function credentials: they must hold the Cloud API key that %s.", purpose)
	}
	if c.Region == "" {
		l.Problemf("CLOUDAPI_REGION is not set: it must hold the region where %s, such as ap-singapore.", purpose)
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			l.Problemf("CLOUDAPI_BASE_URL is %q: it must be an absolute http(s) URL.", c.BaseURL)
		}
	}
	return c
}

// ActivityQueue names where the IM callback sends activities.
type ActivityQueue struct {
	// Kind is "sqs", "scf" or "log".
	Kind string
	// SQSURL is the queue's URL when Kind is "sqs", reached with AWS.
	SQSURL string
	AWS    AWS
	// Function and Namespace name the SCF function invoked when Kind is "scf", through API.
	Function  string
	Namespace string
	API       CloudAPI
}

// ActivityQueue reads ACTIVITY_QUEUE: sqs:<queue URL>, scf (asynchronous invocation of
// LEVELUPDATER_FUNCTION, default levelupdater, in SCF_NAMESPACE, default default, with the Cloud
// API access of CloudAPI) or log (activities are only logged). Unset means log on a laptop and is
// a problem elsewhere, since no level would ever be credited.
func (l *Loader) ActivityQueue() ActivityQueue {
	raw := l.String("ACTIVITY_QUEUE", "")
	switch {
	case strings.HasPrefix(raw, "sqs:") && len(raw) > len("sqs:"):
		return ActivityQueue{Kind: "sqs", SQSURL: strings.TrimPrefix(raw, "sqs:"), AWS: l.AWS()}
	case raw == "scf":
		q := ActivityQueue{
			Kind:      "scf",
			Function:  l.String("LEVELUPDATER_FUNCTION", "levelupdater"),
			Namespace: l.String("SCF_NAMESPACE", "default"),
		}
		q.API = l.CloudAPI("invokes " + q.Function)
		return q
	case raw == "log", raw == "" && l.Local:
		return ActivityQueue{Kind: "log"}
	case raw == "":
		l.Problemf("ACTIVITY_QUEUE is not set: outside a laptop it must be sqs:<queue URL> or scf, or log to credit no level.")
	default:
		l.Problemf("ACTIVITY_QUEUE is %q: it must be sqs:<queue URL>, scf or log.", raw)
	}
	return ActivityQueue{Kind: "log"}
}

// Streaming holds the live streaming settings that pushurl and streamender share.
type Streaming struct {
	PushDomain  string
	PushKey     Secret
	PlayDomain  string
	PlayKey     Secret // empty: play URLs are not signed
	App         string
	CallbackKey Secret // empty: stream callbacks are accepted unsigned (only on a laptop)
	// URLTTL is how long push and play URLs stay valid; URLGrace how far past a room's scheduled
	// end they may reach.
	URLTTL   time.Duration
	URLGrace time.Duration
	// IdleTimeout ends rooms paused this long; ForbidFor is how long an ended room's stream is
	// refused (0: as long as URLTTL).
	IdleTimeout time.Duration
	ForbidFor   time.Duration
	// EndInterval is the period of the end run where uriba schedules it itself (the dev server);
	// MaxRoomsPerRun bounds one run.
	EndInterval    time.Duration
	MaxRoomsPerRun int
	// DestroyGroupAfter, when positive, destroys an ended room's group that long after its end.
	DestroyGroupAfter time.Duration
	// EndOnDropFailure ends a due room even when its stream could not be dropped.
	EndOnDropFailure bool
}

// Streaming reads STREAM_PUSH_DOMAIN, STREAM_PUSH_KEY, STREAM_PLAY_DOMAIN, STREAM_PLAY_KEY,
// STREAM_APP (default live), STREAM_CALLBACK_KEY (required outside a laptop), STREAM_URL_TTL
// (default 24h), STREAM_URL_GRACE (30m), STREAM_IDLE_TIMEOUT (15m), STREAM_FORBID_FOR (the URL
// TTL), STREAM_END_INTERVAL (1m), STREAM_END_MAX_ROOMS (100), STREAM_DESTROY_GROUP_AFTER (unset:
// never) and STREAM_END_ON_DROP_FAILURE (false).
func (l *Loader) Streaming() Streaming {
	c := Streaming{
		PushDomain:        l.Required("STREAM_PUSH_DOMAIN", "the push domain of the streaming service, such as push.example.com"),
		PushKey:           l.Secret("STREAM_PUSH_KEY", "the push domain's authentication key", true),
		PlayDomain:        l.Required("STREAM_PLAY_DOMAIN", "the playback domain of the streaming service, such as play.example.com"),
		PlayKey:           l.Secret("STREAM_PLAY_KEY", "", false),
		App:               l.String("STREAM_APP", "live"),
		CallbackKey:       l.Secret("STREAM_CALLBACK_KEY", "", false),
		URLTTL:            l.Duration("STREAM_URL_TTL", 24*time.Hour),
		URLGrace:          l.Duration("STREAM_URL_GRACE", 30*time.Minute),
		IdleTimeout:       l.Duration("STREAM_IDLE_TIMEOUT", 15*time.Minute),
		ForbidFor:         l.Duration("STREAM_FORBID_FOR", 0),
		EndInterval:       l.Duration("STREAM_END_INTERVAL", time.Minute),
		MaxRoomsPerRun:    l.Int("STREAM_END_MAX_ROOMS", 100, 1, 10000),
		DestroyGroupAfter: l.Duration("STREAM_DESTROY_GROUP_AFTER", 0),
		EndOnDropFailure:  l.Bool("STREAM_END_ON_DROP_FAILURE", false),
	}
	if c.ForbidFor > 90*24*time.Hour {
		l.Problemf("STREAM_FORBID_FOR is over 90 days, the longest the streaming service forbids a stream.")
	}
	if c.CallbackKey == "" && !l.Local {
		l.Problemf("STREAM_CALLBACK_KEY is not set: outside a laptop it must hold the stream callback key of the streaming console, or anyone could send stream callbacks.")
	}
	return c
}

// Laptop describes the development defaults of a process that runs every function on a laptop.
type Laptop struct {
	// SDKAppID, Admin and Store apply when IM_SDKAPPID, IM_ADMIN and STORE are unset.
	SDKAppID string
	Admin    string
	Store    string
	// MerchantKey is a plain merchant key accepted next to the digests of MERCHANT_KEY_SHA256.
	MerchantKey string
	// IMBaseURL applies when IM_BASE_URL is unset: the IM stand-in's address.
	IMBaseURL string
	// CloudAPIBaseURL applies when CLOUDAPI_BASE_URL is unset: the streaming stand-in's address.
	CloudAPIBaseURL string
	// Secrets are development secrets by variable name (IM_SECRET_KEY, STREAM_PUSH_KEY,
	// STREAM_PLAY_KEY, STREAM_CALLBACK_KEY, CLOUDAPI_SECRET_KEY), each applied when unset.
	Secrets map[string]string
}

// laptopStreaming are the development defaults of the streaming settings and Cloud API access.
var laptopStreaming = map[string]string{
	"STREAM_PUSH_DOMAIN": "push.uriba.localhost", "STREAM_PLAY_DOMAIN": "play.uriba.localhost", "STREAM_APP": "live",
	"CLOUDAPI_SECRET_ID": "AKIDuribadevelopment", "CLOUDAPI_REGION": "ap-singapore",
}

// RealIM reports whether getenv names a real Tencent IM (IM_BASE_URL is set), so that no IM
// stand-in is needed.
func RealIM(getenv func(string) string) bool { return strings.TrimSpace(getenv("IM_BASE_URL")) != "" }

// WithDefaults returns a getenv that reads the environment and falls back to the defaults of d.
// MERCHANT_KEY_SHA256 holds the digest of d.MerchantKey next to the environment's digests.
func (d Laptop) WithDefaults(getenv func(string) string) func(string) string {
	defaults := map[string]string{"IM_SDKAPPID": d.SDKAppID, "IM_ADMIN": d.Admin, "STORE": d.Store, "IM_BASE_URL": d.IMBaseURL,
		"CLOUDAPI_BASE_URL": d.CloudAPIBaseURL}
	maps.Copy(defaults, laptopStreaming)
	maps.Copy(defaults, d.Secrets)
	sum := sha256.Sum256([]byte(d.MerchantKey))
	digests := hex.EncodeToString(sum[:])
	if configured := strings.TrimSpace(getenv("MERCHANT_KEY_SHA256")); configured != "" {
		digests = configured + "," + digests
	}
	return func(name string) string {
		if name == "MERCHANT_KEY_SHA256" {
			return digests
		}
		if v := getenv(name); v != "" {
			return v
		}
		return defaults[name]
	}
}
