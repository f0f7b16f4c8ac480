package platform_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/uriba-live/uriba/shared/platform"
)

// env is a fake environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

func TestDetect(t *testing.T) {
	cases := []struct {
		name string
		env  env
		want platform.Platform
	}{
		{"nothing set is local", env{}, platform.Local},
		{"Lambda runtime API", env{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, platform.Lambda},
		{"SCF event function", env{"_LAMBDA_SERVER_PORT": "9000"}, platform.SCF},
		{"Lambda wins over the SCF port", env{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "_LAMBDA_SERVER_PORT": "9000"}, platform.Lambda},
		{"SCF web function", env{"URIBA_RUNTIME": "scf-web"}, platform.SCFWeb},
		{"scf-web wins over the SCF port", env{"URIBA_RUNTIME": "scf-web", "_LAMBDA_SERVER_PORT": "9000"}, platform.SCFWeb},
		{"override to http", env{"URIBA_RUNTIME": "http", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, platform.Local},
		{"override to lambda", env{"URIBA_RUNTIME": "lambda"}, platform.Lambda},
		{"override to scf, any case and spacing", env{"URIBA_RUNTIME": " SCF "}, platform.SCF},
		{"unknown override is reported as is", env{"URIBA_RUNTIME": "gcp"}, platform.Platform("gcp")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := platform.Detect(c.env.get); got != c.want {
				t.Errorf("Detect = %q, want %q", got, c.want)
			}
		})
	}
}

func TestNonHTTPEventsGoToEventHandler(t *testing.T) {
	cases := []struct {
		name    string
		handler func(platform.Function) platform.EventHandler
		event   string
	}{
		{"SQS batch on Lambda", platform.LambdaHandler, "sqs-event.json"},
		{"SCF timer", platform.SCFHandler, "scf-timer-event.json"},
		{"SQS batch on SCF", platform.SCFHandler, "sqs-event.json"},
		{"SCF timer on Lambda", platform.LambdaHandler, "scf-timer-event.json"},
		{"Lambda HTTP event on SCF is not guessed to be HTTP", platform.SCFHandler, "lambda-url-request.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			event := loadEvent(t, c.event)
			var got json.RawMessage
			f := platform.Function{
				Name: "levelupdater",
				HTTP: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("the HTTP handler ran for a non-HTTP event") }),
				Event: func(ctx context.Context, e json.RawMessage) (any, error) {
					got = e
					return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "MessageID_1"}}}, nil
				},
			}
			reply := invoke(t, c.handler(f), event)
			if !bytes.Equal(got, event) {
				t.Errorf("Event received %q, want the raw event", got)
			}
			if want := `{"batchItemFailures":[{"itemIdentifier":"MessageID_1"}]}`; string(reply) != want {
				t.Errorf("reply %s, want %s", reply, want)
			}
		})
	}

	t.Run("without an Event handler", func(t *testing.T) {
		f := platform.Function{Name: "imcallback", HTTP: http.NotFoundHandler()}
		_, err := platform.SCFHandler(f)(context.Background(), loadEvent(t, "scf-timer-event.json"))
		if err == nil || !strings.Contains(err.Error(), "no Event handler") || !strings.Contains(err.Error(), "imcallback") {
			t.Errorf("err %v, want one naming the function and the missing Event handler", err)
		}
	})
	t.Run("an HTTP event without an HTTP handler", func(t *testing.T) {
		f := platform.Function{Name: "streamender", Event: func(context.Context, json.RawMessage) (any, error) {
			t.Error("the Event handler ran for an HTTP event")
			return nil, nil
		}}
		_, err := platform.LambdaHandler(f)(context.Background(), loadEvent(t, "lambda-url-request.json"))
		if err == nil || !strings.Contains(err.Error(), "no HTTP handler") {
			t.Errorf("err %v, want one naming the missing HTTP handler", err)
		}
	})
	t.Run("a malformed HTTP event is an error, not an event", func(t *testing.T) {
		f := platform.Function{HTTP: http.NotFoundHandler(), Event: func(context.Context, json.RawMessage) (any, error) {
			t.Error("the Event handler ran for a malformed HTTP event")
			return nil, nil
		}}
		bad := `{"httpMethod":"GET","path":"/","headers":["not","an","object"]}`
		if _, err := platform.SCFHandler(f)(context.Background(), json.RawMessage(bad)); err == nil {
			t.Error("no error for a malformed HTTP event")
		}
	})
	t.Run("an event that is not an object goes to Event", func(t *testing.T) {
		called := false
		f := platform.Function{Event: func(context.Context, json.RawMessage) (any, error) { called = true; return nil, nil }}
		if _, err := platform.LambdaHandler(f)(context.Background(), json.RawMessage(`"tick"`)); err != nil || !called {
			t.Errorf("err %v called %v", err, called)
		}
	})
}

// addrLog is a slog.Handler that reports the first logged "addr" attribute.
type addrLog struct{ addr chan string }

func (h addrLog) Enabled(context.Context, slog.Level) bool { return true }
func (h addrLog) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "addr" {
			select {
			case h.addr <- a.Value.String():
			default:
			}
		}
		return true
	})
	return nil
}
func (h addrLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h addrLog) WithGroup(string) slog.Handler      { return h }

func TestRunLocalServesAndShutsDown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ok from %s", r.RemoteAddr)
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handler ran for an oversized body")
	})

	shutting := make(chan struct{})
	platform.OnShutdownStarted(t, sync.OnceFunc(func() { close(shutting) }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := addrLog{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- platform.Run(ctx, platform.Function{Name: "dev", HTTP: mux}, env{"URIBA_ADDR": "127.0.0.1:0"}.get, slog.New(logs))
	}()
	var addr string
	select {
	case addr = <-logs.addr:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not report its address")
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("listening on %q, want loopback", addr)
	}
	base := "http://" + addr

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "ok from 127.0.0.1:") {
		t.Errorf("GET /healthz: %d %q", resp.StatusCode, body)
	}

	// A declared body over 6 MB is refused before the handler runs.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", 6<<20+1)
	big, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if big.StatusCode != http.StatusRequestEntityTooLarge || big.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("oversized body: %d %s, want a 413 problem", big.StatusCode, big.Header.Get("Content-Type"))
	}

	// Cancelling ctx lets the request in flight finish, then stops the server.
	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			slow <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	<-started
	cancel()
	select {
	case <-shutting: // The shutdown has begun while /slow is running.
	case <-time.After(5 * time.Second):
		t.Fatal("the shutdown did not begin after ctx was cancelled")
	}
	close(release)
	if got := <-slow; got != "finished" {
		t.Errorf("in-flight request got %q, want it to finish", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v, want nil after a graceful shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx was cancelled")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("the server still accepts connections after shutdown")
	}
}

func TestRunRefusesWhatCannotWork(t *testing.T) {
	h := http.NotFoundHandler()
	ev := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	cases := []struct {
		name string
		f    platform.Function
		env  env
		want string
	}{
		{"no handlers", platform.Function{Name: "x"}, env{}, "neither an HTTP nor an Event handler"},
		{"unknown platform", platform.Function{HTTP: h}, env{"URIBA_RUNTIME": "gcp"}, `URIBA_RUNTIME="gcp" is not one of`},
		{"lambda without its runtime API", platform.Function{HTTP: h}, env{"URIBA_RUNTIME": "lambda"}, "AWS_LAMBDA_RUNTIME_API"},
		{"scf without its port", platform.Function{HTTP: h}, env{"URIBA_RUNTIME": "scf"}, "_LAMBDA_SERVER_PORT"},
		{"event-only function on a local server", platform.Function{Event: ev}, env{"URIBA_ADDR": "127.0.0.1:0"}, "no HTTP handler"},
		{"unusable address", platform.Function{HTTP: h}, env{"URIBA_ADDR": "127.0.0.1:99999"}, "99999"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := platform.Run(ctx, c.f, c.env.get, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Run: %v, want an error containing %q", err, c.want)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Error("Run blocked instead of refusing")
			}
		})
	}
}
