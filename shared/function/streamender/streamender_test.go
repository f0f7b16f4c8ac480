package streamender_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/function/streamender"
	"github.com/uriba-live/uriba/shared/platform"
)

// TestAScheduleEventIsOneRunOnLambdaAndSCF hands the assembled function an EventBridge Scheduler
// event as Lambda delivers it and an SCF timer trigger's event, and gets a run's report from each.
func TestAScheduleEventIsOneRunOnLambdaAndSCF(t *testing.T) {
	fn := functiontest.New(t).Build(t, streamender.Definition)
	if fn.Schedule <= 0 || fn.Event == nil {
		t.Fatalf("not a scheduled function: %+v", fn)
	}
	timer, err := os.ReadFile("../../platform/testdata/scf-timer-event.json")
	if err != nil {
		t.Fatal(err)
	}
	scheduler := []byte(`{"version":"0","id":"7c0ef3b2","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2025-05-01T10:00:00Z","resources":["arn:aws:scheduler:ap-northeast-1:123456789012:schedule/default/uriba-streamender"],"detail":"{}"}`)
	for name, h := range map[string]struct {
		handler platform.EventHandler
		event   []byte
	}{"lambda": {platform.LambdaHandler(fn), scheduler}, "scf": {platform.SCFHandler(fn), timer}} {
		reply, err := h.handler(context.Background(), h.event)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := json.Marshal(reply)
		if !strings.Contains(string(b), `"ended":[]`) || !strings.Contains(string(b), `"more":false`) {
			t.Fatalf("%s reply %s", name, b)
		}
	}
}
