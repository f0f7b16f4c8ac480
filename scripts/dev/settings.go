package main

import (
	"log/slog"
	"strings"
)

// settings are the dev server's environment with development defaults filled in.
type settings struct {
	addr        string
	baseURL     string
	merchantKey string // the plain key, printed for the developer
	realIM      bool   // IM_BASE_URL is set: talk to Tencent IM instead of the stand-in
	generated   []string
	env         map[string]string // defaults for variables the environment leaves unset
	getenv      func(string) string
}

// devSDKAppID is the SDKAppID of the local IM app when IM_SDKAPPID is unset.
const devSDKAppID = "1400000001"

func newSettings(getenv func(string) string) *settings {
	s := &settings{getenv: getenv, env: map[string]string{}}
	s.addr = s.lookup("URIBA_ADDR", "127.0.0.1:8080")
	s.realIM = getenv("IM_BASE_URL") != ""
	s.defaultTo("IM_SDKAPPID", devSDKAppID)
	s.defaultTo("IM_ADMIN", "administrator")
	if getenv("IM_SECRET_KEY") == "" {
		s.env["IM_SECRET_KEY"] = randomHex(32)
		s.generated = append(s.generated, "IM_SECRET_KEY")
	}
	s.merchantKey = getenv("URIBA_DEV_MERCHANT_KEY")
	if s.merchantKey == "" {
		s.merchantKey = "mk_" + randomHex(16)
		s.generated = append(s.generated, "URIBA_DEV_MERCHANT_KEY")
	}
	// The dev key is always accepted, next to any digests the environment configures.
	digests := sha256Hex(s.merchantKey)
	if configured := strings.TrimSpace(getenv("MERCHANT_KEY_SHA256")); configured != "" {
		digests = configured + "," + digests
	}
	s.env["MERCHANT_KEY_SHA256"] = digests
	s.defaultTo("STORE", "bolt:var/uriba.db")
	return s
}

// setBaseURL records the address the server listens on; unless a real IM is configured, IM REST
// calls go to the stand-in served there.
func (s *settings) setBaseURL(u string) {
	s.baseURL = u
	if !s.realIM {
		s.env["IM_BASE_URL"] = u
	}
}

// Getenv reads a variable: the environment's value, or the development default.
func (s *settings) Getenv(name string) string {
	if v, ok := s.env[name]; ok {
		return v
	}
	return s.getenv(name)
}

func (s *settings) lookup(name, def string) string {
	if v := s.getenv(name); v != "" {
		return v
	}
	return def
}

func (s *settings) defaultTo(name, def string) {
	if s.getenv(name) == "" {
		s.env[name] = def
	}
}

func (s *settings) logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s.lookup("URIBA_LOG_LEVEL", "info"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
