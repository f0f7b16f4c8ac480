// Package pushurl assembles the pushurl function, which hands out credentials: UserSigs for
// viewers and anchors.
package pushurl

import (
	"context"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/platform"
)

// Name is the function's name.
const Name = "pushurl"

// Definition is the pushurl function.
var Definition = function.Definition{Name: Name, Build: Build}

// Settings are what pushurl reads from the environment.
type Settings struct {
	IM        config.IM
	Merchants [][32]byte
}

// LoadSettings reads pushurl's settings through env, which collects every problem: the IM
// settings and MERCHANT_KEY_SHA256.
func LoadSettings(env *config.Loader) Settings {
	return Settings{IM: env.IM(), Merchants: env.MerchantKeys()}
}

// Build reads the settings through env and assembles the function on deps.
func Build(ctx context.Context, env *config.Loader, deps function.Deps) (platform.Function, func(), error) {
	s := LoadSettings(env)
	if err := env.Err(); err != nil {
		return platform.Function{}, nil, err
	}
	return Assemble(ctx, s, deps)
}

// Assemble builds the function from its settings on deps. It holds nothing to release.
func Assemble(_ context.Context, s Settings, deps function.Deps) (platform.Function, func(), error) {
	im, err := function.IMClient(s.IM, deps)
	if err != nil {
		return platform.Function{}, nil, err
	}
	router := httpapi.NewRouter(deps.Logger)
	httpapi.Credentials{Issuer: function.Issuer(s.IM, im), Merchants: httpapi.MerchantKeys{Digests: s.Merchants}}.Register(router)
	return platform.Function{Name: Name, HTTP: router}, func() {}, nil
}
