// Package local opens what every uriba function shares when they all run in one process on a
// laptop: one bolt store, one IM client (talking to the IM stand-in, or to a real IM when
// IM_BASE_URL is set) and one in-process activity queue that delivers to the level updater.
// The stand-ins keep their state next to the store (IMStateFile, StreamsStateFile), so that IM
// and streaming still know the store's rooms after a restart.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
	"github.com/uriba-live/uriba/shared/queue/inproc"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/standin/streaming"
	"github.com/uriba-live/uriba/shared/store/bolt"
)

// The files, in the store's folder, where the IM stand-in and the streaming stand-in keep their
// state across restarts.
const (
	IMStateFile      = "standin.json"
	StreamsStateFile = "streaming.json"
)

// Options say how the shared dependencies are opened.
type Options struct {
	// BaseURL is where the process serves HTTP; IM callbacks from the stand-in go there.
	BaseURL string
	// RealIM is true when the IM settings name a real Tencent IM: no stand-in is started.
	RealIM bool
	// Logger receives the logs of everything opened.
	Logger *slog.Logger
}

// Shared is what the functions of one process share. Close releases it.
type Shared struct {
	// Deps are handed to every function's assembly.
	Deps function.Deps
	// IM is the IM stand-in, nil when a real IM is used. Its Handler serves IM's REST API and
	// the viewer API.
	IM *standin.IM
	// Streams is the streaming stand-in: the Cloud API actions on streams, and simulated pushes
	// that send stream callbacks.
	Streams *streaming.Live

	store      *bolt.Store
	activities *inproc.Queue
	consumer   atomic.Pointer[queue.Applier]
}

// Open reads the IM settings and STORE (which must name a bolt file) through env and opens the
// shared dependencies.
func Open(env *config.Loader, opts Options) (s *Shared, err error) {
	im := env.IM()
	callbacks := env.IMCallbacks()
	streams := env.Streaming()
	cloud := env.CloudAPI("drops and forbids streams")
	storeConfig := env.Store("")
	if storeConfig.Kind != "" && storeConfig.Kind != "bolt" {
		env.Problemf("STORE must be bolt:<path> when every function runs in one process.")
	}
	if err := env.Err(); err != nil {
		return nil, err
	}
	s = &Shared{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := os.MkdirAll(filepath.Dir(storeConfig.Target), 0o755); err != nil {
		return nil, fmt.Errorf("create the store's folder: %w", err)
	}
	if s.store, err = bolt.Open(storeConfig.Target); err != nil {
		return nil, err
	}
	stateDir := filepath.Dir(storeConfig.Target)
	if !opts.RealIM {
		s.IM, err = standin.New(standin.Config{
			SDKAppID:      im.SDKAppID,
			SecretKey:     im.SecretKey.Reveal(),
			Admin:         im.Admin,
			CallbackURL:   opts.BaseURL + "/v1/callbacks/im",
			CallbackToken: callbacks.Token.Reveal(),
			Logger:        opts.Logger.With("component", "standin"),
			StateFile:     filepath.Join(stateDir, IMStateFile),
		})
		if err != nil {
			return nil, err
		}
	}
	s.Streams, err = streaming.New(streaming.Config{
		PushDomain: streams.PushDomain, App: streams.App, PushKey: streams.PushKey.Reveal(), SecretID: cloud.SecretID,
		CallbackURL: opts.BaseURL + "/v1/callbacks/stream", CallbackKey: streams.CallbackKey.Reveal(),
		CallbackRetries: 12, Logger: opts.Logger.With("component", "streaming-standin"),
		StateFile: filepath.Join(stateDir, StreamsStateFile),
	})
	if err != nil {
		return nil, err
	}
	client, err := function.NewIMClient(im, opts.Logger)
	if err != nil {
		return nil, err
	}
	if s.activities, err = inproc.New(inproc.Config{Handle: s.deliver, Logger: opts.Logger}); err != nil {
		return nil, err
	}
	s.Deps = function.Deps{
		Logger:            opts.Logger,
		Store:             s.store,
		IM:                client,
		Activities:        s.activities,
		ConsumeActivities: func(a queue.Applier) { s.consumer.Store(&a) },
	}
	return s, nil
}

// errNoConsumer fails a batch that arrives before any function consumes activities; the queue
// retries it.
var errNoConsumer = errors.New("local: no function consumes activities")

// deliver hands a batch of the in-process queue to the consuming function. A batch with failed
// activities is retried whole; the consumer recognises those it credited already.
func (s *Shared) deliver(ctx context.Context, batch []live.Activity) error {
	a := s.consumer.Load()
	if a == nil {
		return errNoConsumer
	}
	failed, err := (*a).Apply(ctx, batch)
	if err == nil && len(failed) > 0 {
		err = fmt.Errorf("local: %d activities of a batch of %d failed", len(failed), len(batch))
	}
	return err
}

// Mount serves the IM stand-in's REST API under /v4/ and its viewer API under /standin/, when it
// runs, and the streaming stand-in's Cloud API under /standin/cloudapi/ and its simulated pushes
// under /standin/streams/.
func (s *Shared) Mount(mount func(prefix string, h http.Handler)) {
	if s.Streams != nil {
		mount("/standin/cloudapi/", s.Streams.Handler())
		mount("/standin/streams/", s.Streams.Handler())
	}
	if s.IM != nil {
		mount("/v4/", s.IM.Handler())
		mount("/standin/", s.IM.Handler())
	}
}

// Close stops the stand-in (so that no callback publishes any more), drains the activity queue
// and closes the store.
func (s *Shared) Close() {
	if s.Streams != nil {
		s.Streams.Close()
	}
	if s.IM != nil {
		s.IM.Close()
	}
	if s.activities != nil {
		_ = s.activities.Close()
	}
	if s.store != nil {
		_ = s.store.Close()
	}
}
