package platform_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-lambda-go/events"

	"github.com/uriba-live/uriba/shared/platform"
)

// Run picks the platform from the environment: the same binary serves a function URL on Lambda,
// an API gateway trigger on SCF, or 127.0.0.1:8080 on a laptop. uriba's functions do not call it
// themselves: their mains hand their assembly to function.Main, which builds the Function and
// calls Run.
func ExampleRun() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	f := platform.Function{
		Name: "levelupdater",
		HTTP: mux,
		Event: func(ctx context.Context, event json.RawMessage) (any, error) {
			var batch events.SQSEvent
			if err := json.Unmarshal(event, &batch); err != nil {
				return nil, err
			}
			var failed events.SQSEventResponse
			for _, m := range batch.Records {
				logger.InfoContext(ctx, "activity", "id", m.MessageId)
			}
			return failed, nil
		},
	}
	if err := platform.Run(ctx, f, os.Getenv, logger); err != nil {
		logger.Error("function stopped", "err", err)
		os.Exit(1)
	}
}
