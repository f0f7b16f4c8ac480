package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/demo"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/function/giftbroadcaster"
	"github.com/uriba-live/uriba/shared/function/imcallback"
	"github.com/uriba-live/uriba/shared/function/levelupdater"
	"github.com/uriba-live/uriba/shared/function/local"
	"github.com/uriba-live/uriba/shared/function/productpublisher"
	"github.com/uriba-live/uriba/shared/function/pushurl"
	"github.com/uriba-live/uriba/shared/function/streamender"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/platform"
)

// functions are every function the dev server runs, each assembled as it is when deployed.
var functions = []function.Definition{
	pushurl.Definition,
	productpublisher.Definition,
	imcallback.Definition,
	levelupdater.Definition,
	giftbroadcaster.Definition,
	streamender.Definition,
}

// server is every function's routes, the IM stand-in and the browser demo on one handler, over
// the dependencies the functions share.
type server struct {
	router   *httpapi.Router
	shared   *local.Shared
	releases function.Releases
	logger   *slog.Logger
	// scheduled are the functions that run on a schedule, ticked while the server serves.
	scheduled []platform.Function
}

func newServer(ctx context.Context, s *settings, logger *slog.Logger) (srv *server, err error) {
	srv = &server{router: httpapi.NewRouter(logger), logger: logger}
	defer func() {
		if err != nil {
			srv.Close()
		}
	}()
	srv.shared, err = local.Open(config.NewLocalLoader(s.Getenv), local.Options{BaseURL: s.baseURL, RealIM: s.realIM, Logger: logger})
	if err != nil {
		return nil, err
	}
	srv.shared.Mount(srv.router.Mount)
	demo.Mount(srv.router.Mount)
	for _, def := range functions {
		fn, release, err := def.Build(ctx, config.NewLocalLoader(s.Getenv), srv.shared.Deps)
		if err != nil {
			return nil, err
		}
		srv.releases.Add(release)
		if fn.Schedule > 0 && fn.Event != nil {
			srv.scheduled = append(srv.scheduled, fn)
		}
		router, ok := fn.HTTP.(*httpapi.Router)
		if !ok {
			return nil, fmt.Errorf("function %s serves no httpapi.Router", def.Name)
		}
		srv.router.Include(router)
	}
	return srv, nil
}

// Serve answers requests on ln until ctx is done. The stand-in closes as soon as ctx is done, so
// that its open event streams end and do not hold up the graceful shutdown.
func (srv *server) Serve(ctx context.Context, ln net.Listener) error {
	if srv.shared.IM != nil {
		stop := context.AfterFunc(ctx, srv.shared.IM.Close)
		defer stop()
	}
	for _, fn := range srv.scheduled {
		go srv.tick(ctx, fn)
	}
	return platform.Serve(ctx, ln, srv.router, srv.logger)
}

// tick sends fn a timer event, shaped as an SCF timer trigger's, every fn.Schedule until ctx is
// done, as the deployment's schedule does.
func (srv *server) tick(ctx context.Context, fn platform.Function) {
	t := time.NewTicker(fn.Schedule)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			event, _ := json.Marshal(map[string]string{"Type": "Timer", "TriggerName": "dev-server", "Time": now.UTC().Format(time.RFC3339), "Message": fn.Name})
			if _, err := fn.Event(ctx, event); err != nil {
				srv.logger.Warn("scheduled run failed", "function", fn.Name, "err", err)
			}
		}
	}
}

// Close releases what the functions opened and then what they share.
func (srv *server) Close() {
	srv.releases.Release()
	if srv.shared != nil {
		srv.shared.Close()
	}
}
