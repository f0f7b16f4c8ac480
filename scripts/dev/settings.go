package main

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/platform"
)

// settings are the dev server's environment with development defaults filled in.
type settings struct {
	addr        string
	baseURL     string
	merchantKey string // the plain key, printed for the developer
	realIM      bool   // IM_BASE_URL is set: talk to Tencent IM instead of the stand-in
	generated   []string
	laptop      config.Laptop
	getenv      func(string) string
	Getenv      func(string) string // the environment with the development defaults
}

// devSDKAppID is the SDKAppID of the local IM app when IM_SDKAPPID is unset.
const devSDKAppID = "1400000001"

func newSettings(getenv func(string) string) *settings {
	s := &settings{
		getenv: getenv,
		addr:   platform.ListenAddr(getenv, platform.Local),
		realIM: config.RealIM(getenv),
		laptop: config.Laptop{
			SDKAppID:    devSDKAppID,
			Admin:       "administrator",
			Store:       "bolt:var/uriba.db",
			SecretKey:   randomHex(32),
			MerchantKey: getenv("URIBA_DEV_MERCHANT_KEY"),
			StreamKeys:  [4]string{randomHex(16), randomHex(16), randomHex(16), randomHex(16)},
		},
	}
	if s.laptop.MerchantKey == "" {
		s.laptop.MerchantKey = "mk_" + randomHex(16)
		s.generated = append(s.generated, "URIBA_DEV_MERCHANT_KEY")
	}
	s.merchantKey = s.laptop.MerchantKey
	s.apply()
	return s
}

// setBaseURL records the address the server listens on; unless a real IM is configured, IM REST
// calls go to the stand-in served there.
func (s *settings) setBaseURL(u string) {
	s.baseURL = u
	s.laptop.CloudAPIBaseURL = u + "/standin/cloudapi"
	if !s.realIM {
		s.laptop.IMBaseURL = u
	}
	s.apply()
}

func (s *settings) apply() {
	var generated []string
	s.Getenv, generated = s.laptop.WithDefaults(s.getenv)
	for _, g := range generated {
		if !contains(s.generated, g) {
			s.generated = append(s.generated, g)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *settings) logLevel() slog.Level {
	var l slog.Level
	raw := s.getenv("URIBA_LOG_LEVEL")
	if raw == "" {
		raw = "info"
	}
	if err := l.UnmarshalText([]byte(raw)); err != nil {
		return slog.LevelInfo
	}
	return l
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
