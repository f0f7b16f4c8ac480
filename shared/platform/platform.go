// Package platform runs one uriba function unchanged on AWS Lambda, on Tencent SCF (as an event
// function or a web function) and on a laptop as a plain net/http server.
//
// Each cloud's binaries leave out the other cloud's runtime library with a build tag: no_scf
// (AWS Lambda builds) drops scf-go-lib, whose RPC protocol links net/rpc, encoding/gob and
// html/template; no_lambda (Tencent SCF builds) drops aws-lambda-go. no_scf_event drops
// scf-go-lib alone, for SCF web functions, which serve HTTP themselves and never take events
// (no_scf also leaves out the SCF activity queue). A binary built without a runtime refuses to
// start on it with an error that names the tag. The untagged build has both.
//
// A function hands Run its http.Handler and, when it also consumes queue messages or timers, an
// EventHandler. On Lambda and on SCF event functions each HTTP event (a Lambda function URL or API
// Gateway request, an SCF API gateway or function URL request) is converted to an *http.Request,
// served by the handler, and the recorded response converted back to the reply the platform
// expects; every other event goes to the EventHandler as raw JSON. Locally and on SCF web
// functions the handler is served by net/http directly.
package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Function is what a uriba function hands to Run.
type Function struct {
	// Name names the function in logs and errors.
	Name string
	// HTTP serves HTTP events and the local or web-function server. It may be nil for functions
	// that only consume events.
	HTTP http.Handler
	// Event receives non-HTTP events (SQS batches, schedules, SCF timers) as raw JSON. It is
	// optional.
	Event EventHandler
	// Schedule, when positive, is the period at which a host that schedules functions itself
	// (the dev server) sends Event a timer event. On Lambda and SCF the deployment's schedule
	// (EventBridge Scheduler, an SCF timer trigger) sends the events instead.
	Schedule time.Duration
}

// EventHandler handles one non-HTTP event and returns the JSON reply the platform expects (e.g. an
// SQSEventResponse).
type EventHandler func(ctx context.Context, event json.RawMessage) (any, error)

// Platform names where a function runs. Its values are the ones URIBA_RUNTIME accepts.
type Platform string

// The platforms Run knows.
const (
	// Lambda is AWS Lambda, reached through the Lambda runtime API.
	Lambda Platform = "lambda"
	// SCF is a Tencent SCF event function, invoked through scf-go-lib.
	SCF Platform = "scf"
	// SCFWeb is a Tencent SCF web function: a plain HTTP server on port 9000.
	SCFWeb Platform = "scf-web"
	// Local is a plain HTTP server, for development and for any other host.
	Local Platform = "http"
)

// Default listen addresses for the HTTP server platforms.
const (
	defaultLocalAddr  = "127.0.0.1:8080"
	defaultSCFWebAddr = "0.0.0.0:9000"
)

// Server limits for the local and SCF web server.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 1 << 20
	shutdownTimeout   = 10 * time.Second
)

// ListenAddr returns the address an HTTP server platform listens on: URIBA_ADDR, or
// 127.0.0.1:8080 locally and 0.0.0.0:9000 on an SCF web function.
func ListenAddr(getenv func(string) string, p Platform) string {
	if addr := getenv("URIBA_ADDR"); addr != "" {
		return addr
	}
	if p == SCFWeb {
		return defaultSCFWebAddr
	}
	return defaultLocalAddr
}

// Detect reports the platform the environment names. URIBA_RUNTIME, when set, wins (lambda, scf,
// scf-web or http; another value is returned as is and refused by Run). Otherwise
// AWS_LAMBDA_RUNTIME_API means Lambda, _LAMBDA_SERVER_PORT (where scf-go-lib listens) means an SCF
// event function, and anything else means a local HTTP server.
func Detect(getenv func(string) string) Platform {
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := strings.ToLower(strings.TrimSpace(getenv("URIBA_RUNTIME"))); v != "" {
		return Platform(v)
	}
	if getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		return Lambda
	}
	if getenv("_LAMBDA_SERVER_PORT") != "" {
		return SCF
	}
	return Local
}

// Run serves f on the platform the environment names until ctx is done (local and SCF web) or
// forever (Lambda, SCF event). It returns an error when the environment or f cannot work together,
// when the listener cannot be opened, or when a graceful shutdown does not finish in time. Signal
// handling is the caller's job, typically through signal.NotifyContext. A nil getenv means
// os.Getenv and a nil logger means slog.Default().
func Run(ctx context.Context, f Function, getenv func(string) string, logger *slog.Logger) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	if logger == nil {
		logger = slog.Default()
	}
	if f.HTTP == nil && f.Event == nil {
		return fmt.Errorf("platform: function %q has neither an HTTP nor an Event handler", f.Name)
	}
	p := Detect(getenv)
	switch p {
	case Lambda:
		if getenv("AWS_LAMBDA_RUNTIME_API") == "" {
			return fmt.Errorf("platform: function %q: platform lambda needs AWS_LAMBDA_RUNTIME_API, which is not set", f.Name)
		}
		if !lambdaBuilt {
			return fmt.Errorf("platform: function %q: this binary was built without the Lambda runtime (tag no_lambda)", f.Name)
		}
		logger.InfoContext(ctx, "function starting", "function", f.Name, "platform", p)
		startLambda(ctx, invoker{h: LambdaHandler(f), name: f.Name, logger: logger})
		return errors.New("platform: the Lambda runtime loop returned")
	case SCF:
		if getenv("_LAMBDA_SERVER_PORT") == "" {
			return fmt.Errorf("platform: function %q: platform scf needs _LAMBDA_SERVER_PORT, which is not set", f.Name)
		}
		if !scfBuilt {
			return fmt.Errorf("platform: function %q: this binary was built without the SCF event runtime (tag no_scf or no_scf_event)", f.Name)
		}
		logger.InfoContext(ctx, "function starting", "function", f.Name, "platform", p)
		startSCF(invoker{h: SCFHandler(f), name: f.Name, logger: logger})
		return errors.New("platform: the SCF function server returned")
	case SCFWeb, Local:
		addr := ListenAddr(getenv, p)
		if f.HTTP == nil {
			return fmt.Errorf("platform: function %q has no HTTP handler to serve on %s (platform %s)", f.Name, addr, p)
		}
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("platform: function %q: %w", f.Name, err)
		}
		logger.InfoContext(ctx, "function listening", "function", f.Name, "platform", p, "addr", ln.Addr().String())
		return Serve(ctx, ln, f.HTTP, logger)
	default:
		return fmt.Errorf("platform: URIBA_RUNTIME=%q is not one of %s, %s, %s, %s", string(p), Lambda, SCF, SCFWeb, Local)
	}
}

// Serve runs an HTTP server for h on ln until ctx is done, then shuts it down gracefully. Run uses
// it for the local and SCF web platforms; the dev server uses it with a listener of its own.
//
// Every answer Serve's own code gives is an application/problem+json document: a body over the
// size limit (413 body_too_large) and a request target that is not a path, such as "*" or the
// authority of a CONNECT request (400 invalid_request). Some malformed requests are answered by
// net/http's server itself, as text/plain, before any handler runs, and no option changes that:
// a malformed request line or path escape ("GET /v1/rooms/%zz"), a header with a NUL, CR or LF in
// its value or a malformed name, a missing or malformed Host, duplicate Content-Length headers
// (all 400), headers over MaxHeaderBytes (431), an Expect other than 100-continue (417, no body),
// an unsupported Transfer-Encoding (501) and an HTTP version other than 1.x in an HTTP/1 request
// line (505). Those two are 5xx by net/http's choice, following RFC 9112 and RFC 9110.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           guard(h),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// Requests keep ctx's values but are not cancelled with it: a shutdown lets them finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if shutdownStarted != nil {
		srv.RegisterOnShutdown(shutdownStarted)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("platform: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-served // Serve returns http.ErrServerClosed as soon as Shutdown starts.
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("platform: shutdown: %w", err)
	}
	logger.InfoContext(sctx, "server stopped", "addr", ln.Addr().String())
	return nil
}

// shutdownStarted, when not nil, is called as the shutdown of a server that Serve runs begins,
// once the server accepts no more connections. Tests set it to act while a shutdown is under way.
var shutdownStarted func()

// guard answers what h should never see. A request target that is not a path ("*" for another
// method than OPTIONS, which net/http answers itself, or the host:port of a CONNECT request) gets
// 400 invalid_request: net/http's ServeMux would answer it as text/plain or with no body. And
// request bodies over maxBodyBytes are refused, so that a request that would be too large for
// Lambda fails the same way locally: a declared length over the limit gets 413 before h runs,
// and a chunked body is cut off at the limit.
func guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.RequestURI == "*" || r.URL.Path == "" || r.URL.Path[0] != '/' {
			w.Header().Set("Connection", "close")
			writeProblem(w, http.StatusBadRequest, codeInvalid, "The request target must be a path, such as /healthz.")
			return
		}
		if r.ContentLength > maxBodyBytes {
			writeProblem(w, http.StatusRequestEntityTooLarge, codeTooLarge, tooLargeDetail)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		h.ServeHTTP(w, r)
	})
}

// invoker adapts an EventHandler to the Invoke([]byte) interface both aws-lambda-go and
// scf-go-lib accept, so neither library reflects on the handler for each invocation.
type invoker struct {
	h      EventHandler
	name   string
	logger *slog.Logger
}

// Invoke handles one invocation payload and encodes the reply.
func (i invoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	reply, err := i.h(ctx, payload)
	if err != nil {
		i.logger.ErrorContext(ctx, "invocation failed", "function", i.name, "err", err)
		return nil, err
	}
	return json.Marshal(reply)
}
