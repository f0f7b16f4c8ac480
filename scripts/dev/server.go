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
	"github.com/uriba-live/uriba/shared/runtime"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/store/bolt"
)

// server is every function's routes, the IM stand-in and the store, on one handler.
type server struct {
	router  *httpapi.Router
	standin *standin.IM
	store   *bolt.Store
	logger  *slog.Logger
}

func newServer(s *settings, logger *slog.Logger) (*server, error) {
	env := config.NewLoader(s.Getenv)
	imConfig := env.IM()
	merchants := httpapi.MerchantKeys{Digests: env.MerchantKeys()}
	storeConfig := env.Store("")
	if storeConfig.Kind != "" && storeConfig.Kind != "bolt" {
		env.Problemf("STORE must be bolt:<path> for the dev server.")
	}
	if err := env.Err(); err != nil {
		return nil, err
	}
	srv := &server{router: httpapi.NewRouter(logger), logger: logger}

	if err := os.MkdirAll(filepath.Dir(storeConfig.Target), 0o755); err != nil {
		return nil, fmt.Errorf("create the store's folder: %w", err)
	}
	store, err := bolt.Open(storeConfig.Target)
	if err != nil {
		return nil, err
	}
	srv.store = store

	if !s.realIM {
		im, err := standin.New(standin.Config{
			SDKAppID:      imConfig.SDKAppID,
			SecretKey:     imConfig.SecretKey.Reveal(),
			Admin:         imConfig.Admin,
			CallbackURL:   s.baseURL + "/v1/callbacks/im",
			CallbackToken: imConfig.CallbackToken.Reveal(),
			Logger:        logger.With("component", "standin"),
		})
		if err != nil {
			srv.Close()
			return nil, err
		}
		srv.standin = im
		srv.router.Mount("/v4/", im.Handler())
		srv.router.Mount("/standin/", im.Handler())
	}

	imClient, err := compose.IMClient(imConfig, logger)
	if err != nil {
		srv.Close()
		return nil, err
	}
	httpapi.Credentials{Issuer: compose.Issuer(imConfig, imClient), Merchants: merchants}.Register(srv.router)
	return srv, nil
}

// Serve answers requests on ln until ctx is done. The stand-in closes as soon as ctx is done, so
// that its open event streams end and do not hold up the graceful shutdown.
func (srv *server) Serve(ctx context.Context, ln net.Listener) error {
	if srv.standin != nil {
		stop := context.AfterFunc(ctx, srv.standin.Close)
		defer stop()
	}
	return runtime.Serve(ctx, ln, srv.router, srv.logger)
}

// Close releases the stand-in and the store.
func (srv *server) Close() {
	if srv.standin != nil {
		srv.standin.Close()
	}
	if srv.store != nil {
		_ = srv.store.Close()
	}
}
