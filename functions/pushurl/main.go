// Command pushurl hands out credentials: UserSigs for viewers and anchors, and signed push and
// play URLs for a room's stream.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/uriba-live/uriba/shared/compose"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/runtime"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pushurl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	logger := slog.New(slog.NewJSONHandler(stderr, nil)).With("function", "pushurl")
	fn, err := newFunction(getenv, logger)
	if err != nil {
		return err
	}
	return runtime.Run(ctx, fn, getenv, logger)
}

// newFunction reads the configuration and assembles the function's handler.
func newFunction(getenv func(string) string, logger *slog.Logger) (runtime.Function, error) {
	env := config.NewLoader(getenv)
	imConfig := env.IM()
	merchants := httpapi.MerchantKeys{Digests: env.MerchantKeys()}
	if err := env.Err(); err != nil {
		return runtime.Function{}, err
	}
	im, err := compose.IMClient(imConfig, logger)
	if err != nil {
		return runtime.Function{}, err
	}
	router := httpapi.NewRouter(logger)
	httpapi.Credentials{Issuer: compose.Issuer(imConfig, im), Merchants: merchants}.Register(router)
	return runtime.Function{Name: "pushurl", HTTP: router}, nil
}
