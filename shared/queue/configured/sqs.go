//go:build !no_sqs

package configured

import (
	"context"
	"log/slog"

	"github.com/uriba-live/uriba/shared/queue"
	"github.com/uriba-live/uriba/shared/queue/sqs"
)

func openSQS(ctx context.Context, url string) (Publisher, error) {
	client, err := sqs.NewClient(ctx, "")
	if err != nil {
		return nil, err
	}
	return noClose{sqs.New(client, url)}, nil
}

func sqsConsumer(a queue.Applier, logger *slog.Logger) consumer {
	return consumer{is: sqs.IsEvent, handle: sqs.Consumer{Applier: a, Logger: logger}.Handle}
}
