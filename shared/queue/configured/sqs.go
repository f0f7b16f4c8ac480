//go:build !no_sqs

package configured

import (
	"log/slog"

	"github.com/uriba-live/uriba/shared/awsclient"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/queue"
	"github.com/uriba-live/uriba/shared/queue/sqs"
)

func openSQS(c config.ActivityQueue) (Publisher, error) {
	client := sqs.NewClient(awsclient.Config(c.AWS), c.AWS.SQSEndpoint)
	return noClose{sqs.New(client, c.SQSURL)}, nil
}

func sqsConsumer(a queue.Applier, logger *slog.Logger) consumer {
	return consumer{is: sqs.IsEvent, handle: sqs.Consumer{Applier: a, Logger: logger}.Handle}
}
