// Command imcallback answers Tencent IM's callbacks for live rooms: it verifies each callback,
// moderates messages before IM delivers them, refuses server-only events sent by clients, counts
// likes and viewers, and hands the activities of delivered messages to the activity queue. It
// serves POST /v1/callbacks/im.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/uriba-live/uriba/shared/compose"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/imcallback"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue/inproc"
	"github.com/uriba-live/uriba/shared/queue/scf"
	"github.com/uriba-live/uriba/shared/queue/sqs"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/runtime"
	"github.com/uriba-live/uriba/shared/store/configured"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "imcallback:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	logger := slog.New(slog.NewJSONHandler(stderr, nil)).With("function", "imcallback")
	fn, release, err := newFunction(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer release()
	return runtime.Run(ctx, fn, getenv, logger)
}

// newFunction reads the configuration and assembles the function's handler. The returned function
// drains the activity queue and closes the store.
func newFunction(ctx context.Context, getenv func(string) string, logger *slog.Logger) (runtime.Function, func(), error) {
	env := config.NewLoader(getenv)
	cfg := imcallback.ConfigFromEnv(env)
	storeConfig := env.Store("")
	wordsFile := env.String("MODERATION_WORDS_FILE", "")
	queueSpec := env.String("ACTIVITY_QUEUE", "log")
	if err := env.Err(); err != nil {
		return runtime.Function{}, nil, err
	}
	moderator, err := compose.Moderator(wordsFile, logger)
	if err != nil {
		return runtime.Function{}, nil, err
	}
	kv, err := configured.Open(ctx, storeConfig)
	if err != nil {
		return runtime.Function{}, nil, err
	}
	activities, err := openQueue(ctx, queueSpec, env, logger)
	if err != nil {
		_ = kv.Close()
		return runtime.Function{}, nil, err
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
	return runtime.Function{Name: "imcallback", HTTP: router}, release, nil
}

// activityQueue is the queue the callback publishes activities to.
type activityQueue interface {
	imcallback.Publisher
	Close() error
}

// openQueue returns the activity queue ACTIVITY_QUEUE names: "sqs:<queue URL>" (AWS), "scf"
// (asynchronous invocation of the levelupdater function on Tencent SCF, configured by the
// TENCENTCLOUD_* variables and LEVELUPDATER_FUNCTION) or "log" (activities are only logged, for
// trying the callback alone; the dev server credits them in process instead).
func openQueue(ctx context.Context, spec string, env *config.Loader, logger *slog.Logger) (activityQueue, error) {
	switch {
	case strings.HasPrefix(spec, "sqs:"):
		client, err := sqs.NewClient(ctx, "")
		if err != nil {
			return nil, err
		}
		return noClose{sqs.New(client, strings.TrimPrefix(spec, "sqs:"))}, nil
	case spec == "scf":
		cfg := scf.ConfigFromEnv(env)
		if err := env.Err(); err != nil {
			return nil, err
		}
		p, err := scf.New(cfg)
		if err != nil {
			return nil, err
		}
		return noClose{p}, nil
	case spec == "log":
		logger.Warn("ACTIVITY_QUEUE is log: activities are logged, and no level is credited")
		return inproc.New(inproc.Config{
			Logger: logger,
			Handle: func(ctx context.Context, batch []live.Activity) error {
				logger.InfoContext(ctx, "activities", "count", len(batch), "first", batch[0].ID)
				return nil
			},
		})
	}
	return nil, fmt.Errorf("ACTIVITY_QUEUE is %q: it must be sqs:<queue URL>, scf or log", spec)
}

// noClose gives a publisher that holds nothing open a Close method.
type noClose struct{ imcallback.Publisher }

func (noClose) Close() error { return nil }
