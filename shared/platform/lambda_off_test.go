//go:build no_lambda

package platform_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/platform"
)

// TestLambdaLeftOutIsRefusedClearly runs in the tagged build scripts/build makes for SCF: a binary without the Lambda runtime, started on it, stops at once with an error that
// names the build tag.
func TestLambdaLeftOutIsRefusedClearly(t *testing.T) {
	f := platform.Function{Name: "fn", HTTP: http.NotFoundHandler()}
	err := platform.Run(context.Background(), f, env{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}.get, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "no_lambda") {
		t.Fatalf("Run = %v, want an error naming no_lambda", err)
	}
}
