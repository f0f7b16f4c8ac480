// Package configured picks the activity queue that configuration names (ACTIVITY_QUEUE) on the
// publishing side, and recognises its deliveries on the consuming side. Build tags leave out the
// transport a deployment never uses: no_scf (AWS Lambda builds) or no_sqs (Tencent SCF builds),
// which keeps the binaries small and their cold starts short.
package configured

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
	"github.com/uriba-live/uriba/shared/queue/inproc"
)

// Publisher is an open activity queue, closed when the function stops.
type Publisher interface {
	queue.Publisher
	Close() error
}

// Open opens the configured queue: SQS (AWS), asynchronous invocation of the levelupdater
// function on Tencent SCF, or a log of the activities (for trying the callback alone).
func Open(ctx context.Context, c config.ActivityQueue, logger *slog.Logger) (Publisher, error) {
	switch c.Kind {
	case "sqs":
		return openSQS(c)
	case "scf":
		return openSCF(c)
	case "log":
		logger.Warn("ACTIVITY_QUEUE is log: activities are logged, and no level is credited")
		return inproc.New(inproc.Config{
			Logger: logger,
			Handle: func(ctx context.Context, batch []live.Activity) error {
				logger.InfoContext(ctx, "activities", "count", len(batch), "first", batch[0].ID)
				return nil
			},
		})
	}
	return nil, fmt.Errorf("queue: unknown kind %q (ACTIVITY_QUEUE must be sqs:<queue URL>, scf or log)", c.Kind)
}

// Consumer returns the event handler that hands each delivery of the activity queue, an SQS
// batch or an SCF asynchronous invocation, to a.
func Consumer(a queue.Applier, logger *slog.Logger) func(context.Context, json.RawMessage) (any, error) {
	var consumers []consumer
	for _, c := range []consumer{sqsConsumer(a, logger), scfConsumer(a, logger)} {
		if c.handle != nil {
			consumers = append(consumers, c)
		}
	}
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		for _, c := range consumers {
			if c.is(raw) {
				return c.handle(ctx, raw)
			}
		}
		return nil, errors.New("queue: the event is not a delivery of the activity queue this binary consumes")
	}
}

// consumer recognises and handles one transport's deliveries; a transport left out of the build
// has none.
type consumer struct {
	is     func(json.RawMessage) bool
	handle func(context.Context, json.RawMessage) (any, error)
}

// noClose gives a publisher that holds nothing open a Close method.
type noClose struct{ queue.Publisher }

func (noClose) Close() error { return nil }
