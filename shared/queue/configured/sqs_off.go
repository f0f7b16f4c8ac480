//go:build no_sqs

package configured

import (
	"errors"
	"log/slog"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/queue"
)

func openSQS(config.ActivityQueue) (Publisher, error) {
	return nil, errors.New("queue: this binary was built without SQS (tag no_sqs)")
}

func sqsConsumer(queue.Applier, *slog.Logger) consumer { return consumer{} }
