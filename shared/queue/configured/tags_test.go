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
	env := config.NewLoader(func(string) string { return "" })
	spec, tag := "sqs:https://sqs.example/q", "no_sqs"
	if _, err := Open(context.Background(), spec, env, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), tag) {
		spec, tag = "scf", "no_scf"
		if _, err := Open(context.Background(), spec, env, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), tag) {
			t.Fatalf("neither left-out transport was refused with its tag")
		}
	}
}
