// Package productpublisher assembles the productpublisher function, which runs live rooms for
// merchant tools: it creates a room with its IM group, changes its status, sets its notice, pins
// its current product, and serves the OpenAPI document of uriba's HTTP API.
package productpublisher

import (
	"context"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/platform"
)

// Name is the function's name.
const Name = "productpublisher"

// Definition is the productpublisher function.
var Definition = function.Define(Name, LoadSettings, Assemble)

// Settings are what productpublisher reads from the environment.
type Settings struct {
	function.EndingSettings
	Merchants [][32]byte
}

// LoadSettings reads productpublisher's settings through env, which collects every problem: the
// IM settings, STORE, MERCHANT_KEY_SHA256, the room's group custom fields, and the streaming
// settings and Cloud API access with which a room ended by hand has its stream dropped.
func LoadSettings(env *config.Loader) Settings {
	return Settings{
		EndingSettings: function.LoadEndingSettings(env, "drops and forbids the stream of a room ended by hand"),
		Merchants:      env.MerchantKeys(),
	}
}

// Assemble builds the function from its settings on deps. The release function closes the
// store, when the function opened it.
func Assemble(ctx context.Context, s Settings, deps function.Deps) (fn platform.Function, release func(), err error) {
	rs, ender, closeStore, err := function.OpenEnding(ctx, s.EndingSettings, deps)
	if err != nil {
		return fn, nil, err
	}
	kv, service := rs.KV, rs.Service
	router := httpapi.NewRouter(deps.Logger)
	httpapi.Rooms{
		Ender:       ender,
		Service:     service,
		Merchants:   httpapi.MerchantKeys{Digests: s.Merchants},
		Idempotency: httpapi.Idempotency{Store: kv, Logger: deps.Logger},
	}.Register(router)
	router.Handle(httpapi.OpenAPIRoute, httpapi.OpenAPI())
	return platform.Function{Name: Name, HTTP: router}, closeStore, nil
}
