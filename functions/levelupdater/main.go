// Command levelupdater credits viewer activities to levels exactly once and announces level-ups.
// It consumes the activity queue: SQS batches on Lambda, asynchronous invocations carrying
// {"activities":[…]} on SCF. It also serves GET /v1/users/{userId}/level.
package main

import (
	"context"
	"log/slog"

	"github.com/uriba-live/uriba/shared/compose"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/levels"
	queueconf "github.com/uriba-live/uriba/shared/queue/configured"
	"github.com/uriba-live/uriba/shared/platform"
	storeconf "github.com/uriba-live/uriba/shared/store/configured"
)

func main() {
	platform.Main("levelupdater", newFunction)
}

// newFunction reads the configuration and assembles the function's handlers. The returned
// function closes the store.
func newFunction(ctx context.Context, getenv func(string) string, logger *slog.Logger) (platform.Function, func(), error) {
	env := config.NewLoader(getenv)
	imConfig := env.IM()
	storeConfig := env.Store("")
	merchants := httpapi.MerchantKeys{Digests: env.MerchantKeys()}
	levelConfig := levels.ConfigFromEnv(env)
	if err := env.Err(); err != nil {
		return platform.Function{}, nil, err
	}
	im, err := compose.IMClient(imConfig, logger)
	if err != nil {
		return platform.Function{}, nil, err
	}
	kv, err := storeconf.Open(ctx, storeConfig)
	if err != nil {
		return platform.Function{}, nil, err
	}
	levelConfig.Logger = logger
	updater, err := levels.NewUpdater(kv, levels.IM{Client: im}, levelConfig)
	if err != nil {
		kv.Close()
		return platform.Function{}, nil, err
	}

	router := httpapi.NewRouter(logger)
	httpapi.Levels{Reader: updater, Merchants: merchants, Admin: imConfig.Admin}.Register(router)
	return platform.Function{Name: "levelupdater", HTTP: router, Event: queueconf.Consumer(updater, logger)}, func() { _ = kv.Close() }, nil
}
