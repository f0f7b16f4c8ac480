package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
)

// Applier credits the activities a delivery carries.
type Applier = queue.Applier

// Consumer handles the SQS batches Lambda delivers.
type Consumer struct {
	// Applier credits the activities. It is required.
	Applier Applier
	// Logger receives malformed messages and failures; nil discards them.
	Logger *slog.Logger
}

// HandleSQS decodes each message of the batch, applies the activities in one call, and reports as
// batch item failures the malformed messages and the messages of the activities the Applier
// asked to redeliver. It returns an error only when the batch as a whole cannot be handled, so
// that Lambda never retries the messages that succeeded.
func (c Consumer) HandleSQS(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error) {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	batch := make([]live.Activity, 0, len(event.Records))
	messagesOf := make(map[string][]string, len(event.Records))
	malformed := 0
	for _, m := range event.Records {
		a, err := DecodeActivity(m.Body)
		if err != nil {
			malformed++
			log.WarnContext(ctx, "malformed activity message", "message_id", m.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		batch = append(batch, a)
		messagesOf[a.ID] = append(messagesOf[a.ID], m.MessageId)
	}
	if len(batch) == 0 {
		return resp, nil
	}
	failed, err := c.Applier.Apply(ctx, batch)
	if err != nil && len(failed) == 0 {
		// Nothing says which activities failed: redeliver them all.
		for id := range messagesOf {
			failed = append(failed, id)
		}
	}
	reported := make(map[string]bool, len(failed))
	for _, id := range failed {
		for _, msg := range messagesOf[id] {
			if !reported[msg] {
				reported[msg] = true
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg})
			}
		}
	}
	if err != nil {
		log.WarnContext(ctx, "activities will be redelivered", "messages", len(reported), "err", err)
	}
	if malformed > 0 || len(reported) > 0 {
		log.InfoContext(ctx, "SQS batch handled", "messages", len(event.Records), "malformed", malformed, "redelivered", len(reported))
	}
	return resp, nil
}

// Handle decodes a raw SQS event and handles it with HandleSQS; it fits runtime.EventHandler.
func (c Consumer) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var event events.SQSEvent
	if err := json.Unmarshal(raw, &event); err != nil {
		return nil, fmt.Errorf("sqs: decode event: %w", err)
	}
	return c.HandleSQS(ctx, event)
}

// IsEvent reports whether raw is an SQS event: records whose eventSource is "aws:sqs".
func IsEvent(raw json.RawMessage) bool {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if json.Unmarshal(raw, &probe) != nil || len(probe.Records) == 0 {
		return false
	}
	return probe.Records[0].EventSource == "aws:sqs"
}

// errMissing reports a message without an essential field.
var errMissing = errors.New("the activity has no id, userId or kind")

// DecodeActivity decodes one message body. A body that is not an activity, or that lacks its ID,
// user or kind, is malformed; other problems (an unknown kind, a bad amount) are the Applier's to
// judge.
func DecodeActivity(body string) (live.Activity, error) {
	var a live.Activity
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		return live.Activity{}, err
	}
	if a.ID == "" || a.UserID == "" || a.Kind == "" {
		return live.Activity{}, errMissing
	}
	return a, nil
}
