//go:build !no_scf

package configured

import (
	"log/slog"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/queue"
	"github.com/uriba-live/uriba/shared/queue/scf"
)

func openSCF(c config.ActivityQueue) (Publisher, error) {
	p, err := scf.New(scf.Config{
		SecretID:  c.API.SecretID,
		SecretKey: c.API.SecretKey,
		Token:     c.API.Token,
		Region:    c.API.Region,
		BaseURL:   c.API.BaseURL,
		Function:  c.Function,
		Namespace: c.Namespace,
	})
	if err != nil {
		return nil, err
	}
	return noClose{p}, nil
}

func scfConsumer(a queue.Applier, logger *slog.Logger) consumer {
	return consumer{is: scf.IsEvent, handle: scf.Consumer{Applier: a, Logger: logger}.Handle}
}
