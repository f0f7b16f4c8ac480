//go:build !no_sqs && !no_scf

package configured

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/live"
)

type applier struct{ batches [][]live.Activity }

func (a *applier) Apply(_ context.Context, batch []live.Activity) ([]string, error) {
	a.batches = append(a.batches, batch)
	return nil, nil
}

func TestOpenRefusesUnknownQueues(t *testing.T) {
	for _, kind := range []string{"", "kafka"} {
		if _, err := Open(context.Background(), config.ActivityQueue{Kind: kind}, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "ACTIVITY_QUEUE") {
			t.Errorf("%q: %v", kind, err)
		}
	}
	q, err := Open(context.Background(), config.ActivityQueue{Kind: "log"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Publish(context.Background(), live.Activity{ID: "g/1", Kind: live.KindChat}); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestConsumerRoutesEachTransportsDeliveries(t *testing.T) {
	a := &applier{}
	handle := Consumer(a, slog.New(slog.DiscardHandler))
	activity := `{"id":"room-1/7","roomId":"room-1","userId":"mei","kind":"chat","amount":1,"at":"2026-11-25T10:00:00Z"}`
	body, _ := json.Marshal(activity)
	deliveries := map[string]string{
		"an SQS batch": `{"Records":[{"messageId":"m1","receiptHandle":"r","body":` + string(body) +
			`,"attributes":{},"messageAttributes":{},"md5OfBody":"","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:1:q","awsRegion":"us-east-1"}]}`,
		"an SCF invocation": `{"activities":[` + activity + `]}`,
	}
	for name, raw := range deliveries {
		a.batches = nil
		if _, err := handle(context.Background(), json.RawMessage(raw)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(a.batches) != 1 || len(a.batches[0]) != 1 || a.batches[0][0].ID != "room-1/7" {
			t.Fatalf("%s: applied %+v", name, a.batches)
		}
	}
	if _, err := handle(context.Background(), json.RawMessage(`{"Type":"Timer","TriggerName":"t"}`)); err == nil {
		t.Fatal("a timer event was taken for a delivery")
	}
}
