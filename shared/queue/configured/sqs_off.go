//go:build no_sqs

package configured

import (
	"context"
	"errors"
	"log/slog"

	"github.com/uriba-live/uriba/shared/queue"
)

func openSQS(context.Context, string) (Publisher, error) {
	return nil, errors.New("queue: this binary was built without SQS (tag no_sqs)")
}

func sqsConsumer(queue.Applier, *slog.Logger) consumer { return consumer{} }
