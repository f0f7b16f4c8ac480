// Package pushurl assembles the pushurl function, which hands out credentials: UserSigs for
// viewers and anchors, signed push URLs for a room's anchor and play URLs for its viewers. It
// also takes the streaming service's callbacks, which drive a room's status with its stream.
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
var Definition = function.Define(Name, LoadSettings, Assemble)

// Settings are what pushurl reads from the environment.
type Settings struct {
	function.RoomSettings
	Merchants [][32]byte
	Streaming config.Streaming
}

// LoadSettings reads pushurl's settings through env, which collects every problem: the IM
// settings, STORE, MERCHANT_KEY_SHA256, the room's group custom fields and the streaming settings.
func LoadSettings(env *config.Loader) Settings {
	return Settings{
		RoomSettings: function.LoadRoomSettings(env),
		Merchants:    env.MerchantKeys(),
		Streaming:    env.Streaming(),
	}
}

// Assemble builds the function from its settings on deps. The release function closes the
// store, when the function opened it.
func Assemble(ctx context.Context, s Settings, deps function.Deps) (fn platform.Function, release func(), err error) {
	rs, closeStore, err := function.OpenRooms(ctx, s.RoomSettings, deps)
	if err != nil {
		return fn, nil, err
	}
	im, kv := rs.IM, rs.KV
	streamService, err := function.Streams(s.Streaming, rs.Service, kv, nil, nil, deps.Logger)
	if err != nil {
		closeStore()
		return fn, nil, err
	}
	merchants := httpapi.MerchantKeys{Digests: s.Merchants}
	router := httpapi.NewRouter(deps.Logger)
	httpapi.Credentials{Issuer: function.Issuer(s.IM, im), Merchants: merchants}.Register(router)
	httpapi.Streams{
		Service:     streamService,
		Merchants:   merchants,
		Viewers:     function.Viewers(s.IM),
		Idempotency: httpapi.Idempotency{Store: kv, Logger: deps.Logger},
	}.Register(router)
	return platform.Function{Name: Name, HTTP: router}, closeStore, nil
}
