package main

import (
	"log/slog"
	"path/filepath"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/platform"
)

// settings are the dev server's environment with development defaults filled in.
type settings struct {
	addr        string
	baseURL     string
	merchantKey string // the plain key, printed for the developer
	realIM      bool   // IM_BASE_URL is set: talk to Tencent IM instead of the stand-in
	secrets     *keptSecrets
	stateDir    string // the store's folder, where the stand-ins keep their state; empty when STORE is not a bolt file
	laptop      config.Laptop
	getenv      func(string) string
	Getenv      func(string) string // the environment with the development defaults
}

// devSDKAppID is the SDKAppID of the local IM app when IM_SDKAPPID is unset.
const devSDKAppID = "1400000001"

// devStore is the store when STORE is unset.
const devStore = "bolt:var/uriba.db"

// newSettings reads the environment through getenv and fills in the development defaults; the
// secrets it generates are kept in the store's folder and reused on the next start.
func newSettings(getenv func(string) string) (*settings, error) {
	s := &settings{
		getenv: getenv,
		addr:   platform.ListenAddr(getenv, platform.Local),
		realIM: config.RealIM(getenv),
	}
	if store := config.NewLocalLoader(getenv).Store(devStore); store.Kind == "bolt" {
		s.stateDir = filepath.Dir(store.Target)
	}
	var err error
	if s.secrets, err = loadSecrets(getenv, s.stateDir); err != nil {
		return nil, err
	}
	v := s.secrets.values
	s.laptop = config.Laptop{
		SDKAppID:    devSDKAppID,
		Admin:       "administrator",
		Store:       devStore,
		MerchantKey: v["URIBA_DEV_MERCHANT_KEY"],
		Secrets:     v,
	}
	s.merchantKey = s.laptop.MerchantKey
	s.apply()
	return s, nil
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

func (s *settings) apply() { s.Getenv = s.laptop.WithDefaults(s.getenv) }

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
