// Command pushurl hands out credentials: UserSigs for viewers and anchors, and signed push and
// play URLs for a room's stream.
package main

import (
	"context"
	"log/slog"

	"github.com/uriba-live/uriba/shared/compose"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/platform"
)

func main() {
	platform.Main("pushurl", newFunction)
}

// newFunction reads the configuration and assembles the function's handler.
func newFunction(_ context.Context, getenv func(string) string, logger *slog.Logger) (platform.Function, func(), error) {
	env := config.NewLoader(getenv)
	imConfig := env.IM()
	merchants := httpapi.MerchantKeys{Digests: env.MerchantKeys()}
	if err := env.Err(); err != nil {
		return platform.Function{}, nil, err
	}
	im, err := compose.IMClient(imConfig, logger)
	if err != nil {
		return platform.Function{}, nil, err
	}
	router := httpapi.NewRouter(logger)
	httpapi.Credentials{Issuer: compose.Issuer(imConfig, im), Merchants: merchants}.Register(router)
	return platform.Function{Name: "pushurl", HTTP: router}, nil, nil
}
