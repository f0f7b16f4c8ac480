package config

import (
	"net/url"
	"strings"
	"time"
)

// IM holds the settings of the Tencent IM app.
type IM struct {
	SDKAppID       int
	SecretKey      Secret
	Admin          string
	BaseURL        string // empty when Region names the domain instead
	Region         string
	CallbackToken  Secret        // empty: callbacks are accepted unsigned
	CallbackWindow time.Duration // how far RequestTime may be from now
}

// IM reads IM_SDKAPPID, IM_SECRET_KEY, IM_ADMIN, IM_BASE_URL, IM_REGION, IM_CALLBACK_TOKEN and
// IM_CALLBACK_WINDOW.
func (l *Loader) IM() IM {
	c := IM{
		SDKAppID:       l.Int("IM_SDKAPPID", 0, 1, 1<<32-1),
		SecretKey:      l.Secret("IM_SECRET_KEY", "the IM app's secret key (console → app → basic information)", true),
		Admin:          l.String("IM_ADMIN", "administrator"),
		BaseURL:        l.String("IM_BASE_URL", ""),
		Region:         l.String("IM_REGION", ""),
		CallbackToken:  l.Secret("IM_CALLBACK_TOKEN", "", false),
		CallbackWindow: l.Duration("IM_CALLBACK_WINDOW", 60*time.Second),
	}
	if c.SDKAppID == 0 && l.String("IM_SDKAPPID", "") == "" {
		l.Problemf("IM_SDKAPPID is not set: it must hold the IM app's SDKAppID.")
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			l.Problemf("IM_BASE_URL is %q: it must be an absolute http(s) URL such as https://adminapisgp.im.qcloud.com.", c.BaseURL)
		}
	} else if c.Region == "" {
		l.Problemf("Neither IM_BASE_URL nor IM_REGION is set: set IM_REGION (for example sgp, jpn, kr, ger, usa, ind, idn or china) or IM_BASE_URL.")
	}
	if len(c.Admin) > 32 {
		l.Problemf("IM_ADMIN is longer than 32 bytes.")
	}
	return c
}

// MerchantKeys reads MERCHANT_KEY_SHA256: the SHA-256 digests of the merchant API keys.
func (l *Loader) MerchantKeys() [][32]byte {
	return l.SHA256List("MERCHANT_KEY_SHA256", true)
}

// Store names the store a function uses.
type Store struct {
	Kind   string // "bolt", "dynamodb" or "redis"
	Target string // a file path, a table name or a Redis URL
}

// Store reads STORE: bolt:<path>, dynamodb:<table> or redis://… (rediss:// too). def applies when
// it is unset.
func (l *Loader) Store(def string) Store {
	raw := l.String("STORE", def)
	switch {
	case strings.HasPrefix(raw, "bolt:") && len(raw) > len("bolt:"):
		return Store{Kind: "bolt", Target: strings.TrimPrefix(raw, "bolt:")}
	case strings.HasPrefix(raw, "dynamodb:") && len(raw) > len("dynamodb:"):
		return Store{Kind: "dynamodb", Target: strings.TrimPrefix(raw, "dynamodb:")}
	case strings.HasPrefix(raw, "redis://"), strings.HasPrefix(raw, "rediss://"):
		return Store{Kind: "redis", Target: raw}
	case raw == "":
		l.Problemf("STORE is not set: it must be bolt:<path>, dynamodb:<table> or redis://host:port.")
	default:
		l.Problemf("STORE must be bolt:<path>, dynamodb:<table> or redis://host:port; it is none of those.")
	}
	return Store{}
}
