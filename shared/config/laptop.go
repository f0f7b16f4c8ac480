package config

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Laptop describes the development defaults of a process that runs every function on a laptop.
type Laptop struct {
	// SDKAppID, Admin and Store apply when IM_SDKAPPID, IM_ADMIN and STORE are unset.
	SDKAppID string
	Admin    string
	Store    string
	// SecretKey applies when IM_SECRET_KEY is unset; it is reported as generated.
	SecretKey string
	// MerchantKey is a plain merchant key accepted next to the digests of MERCHANT_KEY_SHA256.
	MerchantKey string
	// IMBaseURL applies when IM_BASE_URL is unset: the IM stand-in's address.
	IMBaseURL string
	// CloudAPIBaseURL applies when CLOUDAPI_BASE_URL is unset: the streaming stand-in's address.
	CloudAPIBaseURL string
	// StreamKeys are the push, play and callback keys (STREAM_PUSH_KEY, STREAM_PLAY_KEY,
	// STREAM_CALLBACK_KEY) and the Cloud API secret key applied when unset; they are reported as
	// generated.
	StreamKeys [4]string
}

// laptopStreaming are the development defaults of the streaming settings and Cloud API access.
var laptopStreaming = map[string]string{
	"STREAM_PUSH_DOMAIN": "push.uriba.localhost", "STREAM_PLAY_DOMAIN": "play.uriba.localhost", "STREAM_APP": "live",
	"CLOUDAPI_SECRET_ID": "AKIDuribadevelopment", "CLOUDAPI_REGION": "ap-singapore",
}

// RealIM reports whether getenv names a real Tencent IM (IM_BASE_URL is set), so that no IM
// stand-in is needed.
func RealIM(getenv func(string) string) bool { return strings.TrimSpace(getenv("IM_BASE_URL")) != "" }

// WithDefaults returns a getenv that reads the environment and falls back to the defaults of d,
// and the names of the variables whose value d generated.
func (d Laptop) WithDefaults(getenv func(string) string) (func(string) string, []string) {
	defaults := map[string]string{"IM_SDKAPPID": d.SDKAppID, "IM_ADMIN": d.Admin, "STORE": d.Store, "IM_BASE_URL": d.IMBaseURL}
	var generated []string
	if getenv("IM_SECRET_KEY") == "" {
		defaults["IM_SECRET_KEY"] = d.SecretKey
		generated = append(generated, "IM_SECRET_KEY")
	}
	for k, v := range laptopStreaming {
		defaults[k] = v
	}
	defaults["CLOUDAPI_BASE_URL"] = d.CloudAPIBaseURL
	for i, name := range []string{"STREAM_PUSH_KEY", "STREAM_PLAY_KEY", "STREAM_CALLBACK_KEY", "CLOUDAPI_SECRET_KEY"} {
		if getenv(name) == "" && d.StreamKeys[i] != "" {
			defaults[name] = d.StreamKeys[i]
			generated = append(generated, name)
		}
	}
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
	}, generated
}
