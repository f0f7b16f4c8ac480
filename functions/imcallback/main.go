// Command imcallback answers Tencent IM's callbacks for live rooms: it verifies each callback,
// moderates messages before IM delivers them, refuses server-only events sent by clients, counts
// likes and viewers, and hands the activities of delivered messages to the activity queue. It
// serves POST /v1/callbacks/im.
package main

import (
	"context"
	"log/slog"

	"github.com/uriba-live/uriba/shared/compose"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/imcallback"
	queueconf "github.com/uriba-live/uriba/shared/queue/configured"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/platform"
	storeconf "github.com/uriba-live/uriba/shared/store/configured"
)

func main() {
	platform.Main("imcallback", newFunction)
}

// newFunction reads the configuration and assembles the function's handler. The returned function
// drains the activity queue and closes the store.
func newFunction(ctx context.Context, getenv func(string) string, logger *slog.Logger) (platform.Function, func(), error) {
	env := config.NewLoader(getenv)
	cfg := imcallback.ConfigFromEnv(env)
	storeConfig := env.Store("")
	wordsFile := env.String("MODERATION_WORDS_FILE", "")
	queueSpec := env.String("ACTIVITY_QUEUE", "log")
	if err := env.Err(); err != nil {
		return platform.Function{}, nil, err
	}
	moderator, err := compose.Moderator(wordsFile, logger)
	if err != nil {
		return platform.Function{}, nil, err
	}
	kv, err := storeconf.Open(ctx, storeConfig)
	if err != nil {
		return platform.Function{}, nil, err
	}
	activities, err := queueconf.Open(ctx, queueSpec, env, logger)
	if err != nil {
		_ = kv.Close()
		return platform.Function{}, nil, err
	}
	logger.Info("IM callback configured", "config", cfg, "store", storeConfig.Kind)
	handler := imcallback.New(cfg, imcallback.Deps{
		Moderator: moderator,
		Stats:     roomstats.New(kv, 0),
		Publisher: activities,
		Logger:    logger,
	})
	router := httpapi.NewRouter(logger)
	handler.Register(router)
	release := func() {
		_ = activities.Close()
		if err := kv.Close(); err != nil {
			logger.Warn("closing the store failed", "err", err)
		}
	}
	return platform.Function{Name: "imcallback", HTTP: router}, release, nil
}
