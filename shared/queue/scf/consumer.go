package scf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
)

// Applier credits the activities a delivery carries.
type Applier = queue.Applier

// Event is the event a Publisher invokes the function with.
type Event struct {
	Activities []json.RawMessage `json:"activities"`
}

// Result is what Handle replies when every activity was settled.
type Result struct {
	Activities int `json:"activities"`
	Malformed  int `json:"malformed"`
}

// Consumer handles the events a Publisher sends.
type Consumer struct {
	// Applier credits the activities. It is required.
	Applier Applier
	// Logger receives malformed activities and failures; nil discards them.
	Logger *slog.Logger
}

// IsEvent reports whether raw is an event of a Publisher: a JSON object with an "activities"
// array.
func IsEvent(raw json.RawMessage) bool {
	var probe struct {
		Activities json.RawMessage `json:"activities"`
	}
	return json.Unmarshal(raw, &probe) == nil && len(probe.Activities) > 0 && probe.Activities[0] == '['
}

// Handle decodes an event and applies its activities in one call; it fits runtime.EventHandler.
// Malformed activities are logged and dropped, since no repeat can mend them. When the Applier
// asks for some activities to be redelivered, Handle fails, so that SCF retries the invocation
// under the function's asynchronous retry policy; the activities already credited are then
// recognised and not credited again.
func (c Consumer) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var event Event
	if err := json.Unmarshal(raw, &event); err != nil {
		return nil, fmt.Errorf("scf: decode event: %w", err)
	}
	batch := make([]live.Activity, 0, len(event.Activities))
	malformed := 0
	for i, item := range event.Activities {
		var a live.Activity
		if err := json.Unmarshal(item, &a); err != nil || a.ID == "" || a.UserID == "" || a.Kind == "" {
			malformed++
			log.WarnContext(ctx, "malformed activity dropped", "index", i, "err", err)
			continue
		}
		batch = append(batch, a)
	}
	if len(batch) > 0 {
		failed, err := c.Applier.Apply(ctx, batch)
		if len(failed) > 0 || err != nil {
			if err == nil {
				err = errors.New("the applier gave no reason")
			}
			return nil, fmt.Errorf("scf: %d of %d activities to redeliver: %w", len(failed), len(batch), err)
		}
	}
	return Result{Activities: len(batch), Malformed: malformed}, nil
}
