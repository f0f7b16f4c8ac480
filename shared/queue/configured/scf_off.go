//go:build no_scf

package configured

import (
	"errors"
	"log/slog"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/queue"
)

func openSCF(config.ActivityQueue) (Publisher, error) {
	return nil, errors.New("queue: this binary was built without SCF invocation (tag no_scf)")
}

func scfConsumer(queue.Applier, *slog.Logger) consumer { return consumer{} }
