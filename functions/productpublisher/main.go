// Command productpublisher runs live rooms for merchant tools: it creates a room with its IM
// group, changes its status, sets its notice and pins its current product, and serves the
// OpenAPI document of uriba's HTTP API.
package main

import (
	"context"
	"log/slog"

	"github.com/uriba-live/uriba/shared/compose"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/store/configured"
)

func main() {
	platform.Main("productpublisher", newFunction)
}

// newFunction reads the configuration and assembles the function's handler. The returned
// function closes the store.
func newFunction(ctx context.Context, getenv func(string) string, logger *slog.Logger) (platform.Function, func(), error) {
	env := config.NewLoader(getenv)
	imConfig := env.IM()
	storeConfig := env.Store("")
	merchants := httpapi.MerchantKeys{Digests: env.MerchantKeys()}
	fields := rooms.LoadFields(env)
	if err := env.Err(); err != nil {
		return platform.Function{}, nil, err
	}
	im, err := compose.IMClient(imConfig, logger)
	if err != nil {
		return platform.Function{}, nil, err
	}
	kv, err := configured.Open(ctx, storeConfig)
	if err != nil {
		return platform.Function{}, nil, err
	}
	service, err := rooms.New(kv, im, rooms.Config{Admin: imConfig.Admin, Fields: fields, Stats: roomstats.New(kv, 0), Logger: logger})
	if err != nil {
		kv.Close()
		return platform.Function{}, nil, err
	}

	router := httpapi.NewRouter(logger)
	httpapi.Rooms{
		Service:     service,
		Merchants:   merchants,
		Idempotency: httpapi.Idempotency{Store: kv, Logger: logger},
	}.Register(router)
	router.Handle(httpapi.OpenAPIRoute, httpapi.OpenAPI())
	return platform.Function{Name: "productpublisher", HTTP: router}, func() { _ = kv.Close() }, nil
}
