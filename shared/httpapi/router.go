package httpapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/uriba-live/uriba/shared/live"
)

// MaxBodyBytes is the largest request body any endpoint reads.
const MaxBodyBytes = 1 << 20

// HandlerFunc is an endpoint: it writes a reply, or returns an error that the Router turns into a
// problem document.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Router routes requests with net/http patterns and gives every failure, including unknown routes
// and wrong methods, the same problem+json shape.
type Router struct {
	mux    *http.ServeMux
	logger *slog.Logger
	routes []string
}

// NewRouter returns a Router that serves GET /healthz and logs through logger.
func NewRouter(logger *slog.Logger) *Router {
	rt := &Router{mux: http.NewServeMux(), logger: logger}
	rt.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	rt.mux.HandleFunc("/", rt.unrouted)
	return rt
}

// Handle registers an endpoint for a pattern such as "POST /v1/users/{userId}/usersig".
func (rt *Router) Handle(pattern string, h HandlerFunc) {
	rt.routes = append(rt.routes, pattern)
	rt.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			rt.fail(w, r, err)
		}
	})
}

// Routes returns the patterns registered with Handle, in registration order, so that tests can
// hold the API's documentation to what is really served.
func (rt *Router) Routes() []string {
	return append([]string{"GET /healthz"}, rt.routes...)
}

// Include serves every route of other, as listed by its Routes, with other itself, so that one
// router can serve several functions' routes. GET /healthz stays this router's own.
func (rt *Router) Include(other *Router) {
	for _, pattern := range other.routes {
		rt.routes = append(rt.routes, pattern)
		rt.mux.Handle(pattern, other)
	}
}

// Mount serves every request under prefix (for example "/v4/") with h, as it is.
func (rt *Router) Mount(prefix string, h http.Handler) {
	rt.mux.Handle(prefix, h)
}

// ServeHTTP routes r. Bodies are capped at MaxBodyBytes, panics become internal errors, and the
// mux's own 404 and 405 replies become problem documents.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			rt.logger.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			WriteError(w, live.Errorf(live.EInternal, "An internal error occurred."))
		}
	}()
	if r.ContentLength > MaxBodyBytes {
		WriteError(w, live.Errorf(live.ETooLarge, "The request body exceeds %d bytes.", MaxBodyBytes))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	rt.mux.ServeHTTP(w, r)
}

// probeMethods are the methods tried to tell a wrong method (405) from an unknown path (404).
var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unrouted answers every request no route accepts, as the catch-all "/" pattern: 405 with an
// Allow header when the path exists for other methods, 404 otherwise. Only failed requests pay
// for the probing; routed ones are matched once.
func (rt *Router) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	probe := *r
	for _, m := range probeMethods {
		probe.Method = m
		if _, pattern := rt.mux.Handler(&probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		WriteError(w, live.Errorf(live.ENotFound, "No route matches %s %s.", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	WriteError(w, live.Errorf(live.EMethodNotAllowed, "%s is not allowed on %s.", r.Method, r.URL.Path))
}

func (rt *Router) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := live.ErrorCode(err)
	status := StatusFor(code)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	rt.logger.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path,
		"status", status, "code", code, "err", err)
	WriteError(w, err)
}
