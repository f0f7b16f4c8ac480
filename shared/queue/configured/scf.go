//go:build !no_scf

package configured

import (
	"log/slog"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/queue"
	"github.com/uriba-live/uriba/shared/queue/scf"
)

func openSCF(env *config.Loader) (Publisher, error) {
	cfg := scf.ConfigFromEnv(env)
	if err := env.Err(); err != nil {
		return nil, err
	}
	p, err := scf.New(cfg)
	if err != nil {
		return nil, err
	}
	return noClose{p}, nil
}

func scfConsumer(a queue.Applier, logger *slog.Logger) consumer {
	return consumer{is: scf.IsEvent, handle: scf.Consumer{Applier: a, Logger: logger}.Handle}
}
