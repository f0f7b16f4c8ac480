//go:build no_sqs || no_scf

package configured

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/config"
)

// TestALeftOutTransportIsRefusedClearly runs in the tagged builds the Makefile makes for each
// cloud: asking for the transport the binary left out names the build tag.
func TestALeftOutTransportIsRefusedClearly(t *testing.T) {
	spec, tag := config.ActivityQueue{Kind: "sqs", SQSURL: "https://sqs.example/q"}, "no_sqs"
	if _, err := Open(context.Background(), spec, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), tag) {
		spec, tag = config.ActivityQueue{Kind: "scf"}, "no_scf"
		if _, err := Open(context.Background(), spec, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), tag) {
			t.Fatalf("neither left-out transport was refused with its tag")
		}
	}
}
