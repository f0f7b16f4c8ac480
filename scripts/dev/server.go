package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/uriba-live/uriba/shared/compose"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/imcallback"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/queue/inproc"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/store/bolt"
)

// server is every function's routes, the IM stand-in, the store and the in-process activity
// queue, on one handler.
type server struct {
	router     *httpapi.Router
	standin    *standin.IM
	store      *bolt.Store
	activities *inproc.Queue
	logger     *slog.Logger
}

func newServer(s *settings, logger *slog.Logger) (srv *server, err error) {
	env := config.NewLoader(s.Getenv)
	imConfig := env.IM()
	merchants := httpapi.MerchantKeys{Digests: env.MerchantKeys()}
	storeConfig := env.Store("")
	fields := rooms.LoadFields(env)
	levelConfig := levels.ConfigFromEnv(env)
	callbackConfig := imcallback.ConfigFromEnv(env)
	wordsFile := env.String("MODERATION_WORDS_FILE", "")
	if storeConfig.Kind != "" && storeConfig.Kind != "bolt" {
		env.Problemf("STORE must be bolt:<path> for the dev server.")
	}
	if err := env.Err(); err != nil {
		return nil, err
	}
	srv = &server{router: httpapi.NewRouter(logger), logger: logger}
	defer func() {
		if err != nil {
			srv.Close()
		}
	}()

	if err := os.MkdirAll(filepath.Dir(storeConfig.Target), 0o755); err != nil {
		return nil, fmt.Errorf("create the store's folder: %w", err)
	}
	if srv.store, err = bolt.Open(storeConfig.Target); err != nil {
		return nil, err
	}
	if !s.realIM {
		srv.standin, err = standin.New(standin.Config{
			SDKAppID:      imConfig.SDKAppID,
			SecretKey:     imConfig.SecretKey.Reveal(),
			Admin:         imConfig.Admin,
			CallbackURL:   s.baseURL + "/v1/callbacks/im",
			CallbackToken: imConfig.CallbackToken.Reveal(),
			Logger:        logger.With("component", "standin"),
		})
		if err != nil {
			return nil, err
		}
		srv.router.Mount("/v4/", srv.standin.Handler())
		srv.router.Mount("/standin/", srv.standin.Handler())
	}

	im, err := compose.IMClient(imConfig, logger)
	if err != nil {
		return nil, err
	}
	stats := roomstats.New(srv.store, 0)
	roomService, err := rooms.New(srv.store, im, rooms.Config{Admin: imConfig.Admin, Fields: fields, Stats: stats, Logger: logger})
	if err != nil {
		return nil, err
	}
	levelConfig.Logger = logger
	updater, err := levels.NewUpdater(srv.store, levels.IM{Client: im}, levelConfig)
	if err != nil {
		return nil, err
	}
	if srv.activities, err = inproc.New(inproc.Config{Handle: updater.Handle, Logger: logger}); err != nil {
		return nil, err
	}

	moderator, err := compose.Moderator(wordsFile, logger)
	if err != nil {
		return nil, err
	}
	imcallback.New(callbackConfig, imcallback.Deps{
		Moderator: moderator,
		Stats:     stats,
		Publisher: srv.activities,
		Logger:    logger,
	}).Register(srv.router)
	httpapi.Credentials{Issuer: compose.Issuer(imConfig, im), Merchants: merchants}.Register(srv.router)
	httpapi.Rooms{
		Service:     roomService,
		Merchants:   merchants,
		Idempotency: httpapi.Idempotency{Store: srv.store, Logger: logger},
	}.Register(srv.router)
	httpapi.Levels{Reader: updater, Merchants: merchants, Admin: imConfig.Admin}.Register(srv.router)
	srv.router.Handle(httpapi.OpenAPIRoute, httpapi.OpenAPI())
	return srv, nil
}

// Serve answers requests on ln until ctx is done. The stand-in closes as soon as ctx is done, so
// that its open event streams end and do not hold up the graceful shutdown.
func (srv *server) Serve(ctx context.Context, ln net.Listener) error {
	if srv.standin != nil {
		stop := context.AfterFunc(ctx, srv.standin.Close)
		defer stop()
	}
	return platform.Serve(ctx, ln, srv.router, srv.logger)
}

// Close stops the stand-in (so that no callback publishes any more), drains the activity queue
// and closes the store.
func (srv *server) Close() {
	if srv.standin != nil {
		srv.standin.Close()
	}
	if srv.activities != nil {
		_ = srv.activities.Close()
	}
	if srv.store != nil {
		_ = srv.store.Close()
	}
}
