package platform

import (
	"encoding/json"
	"os"
	"testing"
)

func TestIsScheduleKnowsBothClouds(t *testing.T) {
	timer, err := os.ReadFile("testdata/scf-timer-event.json")
	if err != nil {
		t.Fatal(err)
	}
	sqs, err := os.ReadFile("testdata/sqs-event.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		event string
		want  bool
	}{
		"SCF timer":          {string(timer), true},
		"EventBridge":        {`{"version":"0","detail-type":"Scheduled Event","source":"aws.scheduler","detail":"{}"}`, true},
		"SQS batch":          {string(sqs), false},
		"SCF async delivery": {`{"activities":[]}`, false},
		"not JSON":           {`timer`, false},
	} {
		if got := IsSchedule(json.RawMessage(c.event)); got != c.want {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}
