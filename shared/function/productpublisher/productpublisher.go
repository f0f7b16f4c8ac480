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
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/roomstats"
)

// Name is the function's name.
const Name = "productpublisher"

// Definition is the productpublisher function.
var Definition = function.Define(Name, LoadSettings, Assemble)

// Settings are what productpublisher reads from the environment.
type Settings struct {
	IM        config.IM
	Store     config.Store
	Merchants [][32]byte
	Fields    rooms.Fields
	Streaming config.Streaming
	CloudAPI  config.CloudAPI
}

// LoadSettings reads productpublisher's settings through env, which collects every problem: the
// IM settings, STORE, MERCHANT_KEY_SHA256, the room's group custom fields, and the streaming
// settings and Cloud API access with which a room ended by hand has its stream dropped.
func LoadSettings(env *config.Loader) Settings {
	return Settings{
		IM:        env.IM(),
		Store:     env.Store(""),
		Merchants: env.MerchantKeys(),
		Fields:    function.LoadRoomFields(env),
		Streaming: env.Streaming(),
		CloudAPI:  env.CloudAPI("drops and forbids the stream of a room ended by hand"),
	}
}

// Assemble builds the function from its settings on deps. The release function closes the
// store, when the function opened it.
func Assemble(ctx context.Context, s Settings, deps function.Deps) (fn platform.Function, release func(), err error) {
	im, err := function.IMClient(s.IM, deps)
	if err != nil {
		return fn, nil, err
	}
	api, err := function.StreamAPI(s.CloudAPI)
	if err != nil {
		return fn, nil, err
	}
	kv, closeStore, err := function.OpenStore(ctx, s.Store, deps)
	if err != nil {
		return fn, nil, err
	}
	service, err := rooms.New(kv, im, rooms.Config{Admin: s.IM.Admin, Fields: s.Fields, Stats: roomstats.New(kv, 0), Sales: roomstats.NewSales(kv), Logger: deps.Logger})
	if err != nil {
		closeStore()
		return fn, nil, err
	}
	ender, err := function.Streams(s.Streaming, service, kv, api, im, deps.Logger)
	if err != nil {
		closeStore()
		return fn, nil, err
	}
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
