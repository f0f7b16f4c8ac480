//go:build no_scf || no_scf_event

package platform_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/platform"
)

// TestSCFLeftOutIsRefusedClearly runs in the tagged builds scripts/build makes for Lambda and for
// SCF web functions: a binary without the SCF event runtime, started on it, stops at once with an
// error that names the build tag.
func TestSCFLeftOutIsRefusedClearly(t *testing.T) {
	f := platform.Function{Name: "fn", HTTP: http.NotFoundHandler()}
	err := platform.Run(context.Background(), f, env{"_LAMBDA_SERVER_PORT": "9000"}.get, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "no_scf") {
		t.Fatalf("Run = %v, want an error naming no_scf", err)
	}
}
