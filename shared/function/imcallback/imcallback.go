// Package imcallback assembles the imcallback function: Tencent IM's callbacks for live rooms,
// served at POST /v1/callbacks/im.
package imcallback

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/httpapi"
	callbacks "github.com/uriba-live/uriba/shared/imcallback"
	"github.com/uriba-live/uriba/shared/liketotal"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/tim"
)

// Name is the function's name.
const Name = "imcallback"

// Definition is the imcallback function.
var Definition = function.Define(Name, LoadSettings, Assemble)

// Settings are what imcallback reads from the environment.
type Settings struct {
	IM         config.IMCallbacks
	Callback   callbacks.Config
	Store      config.Store
	Words      config.WordList
	Activities config.ActivityQueue
	// LikeTotalInterval is the shortest time between two updates of a room's like total.
	LikeTotalInterval time.Duration
}

// LoadSettings reads imcallback's settings through env, which collects every problem:
//
//	IM_SDKAPPID, IM_ADMIN, IM_CALLBACK_TOKEN, IM_CALLBACK_WINDOW
//	MODERATION_WORDS_FILE the word list, or builtin
//	MODERATION_MODE      reject (default), mask or drop
//	MODERATION_CUSTOM    true to moderate the Desc and Ext of custom messages too (default false)
//	LIKE_EVENT           the custom message event of a like (default LIKE)
//	LIKE_MODE            pass (default) or absorb: absorbed likes are counted, then discarded
//	LIKE_MAX_PER_MESSAGE the largest count one like message may carry (default 100)
//	SERVER_ONLY_EVENTS   comma-separated events clients may not send (default SEND_GIFT,LEVEL_UP,NEW_GIFT,LIVE_ENDED;
//	                     "-" for none)
//	CALLBACK_IO_BUDGET   the longest a reply waits for the store or the queue (default 100ms)
//	LIKE_TOTAL_INTERVAL  the shortest time between two updates of a room's like total (default 3s)
//	STORE, ACTIVITY_QUEUE
//
// Outside a laptop the callback token, the word list and the activity queue are required.
func LoadSettings(env *config.Loader) Settings {
	s := Settings{
		IM:         env.IMCallbacks(),
		Store:      env.Store(""),
		Words:      env.WordList(),
		Activities: env.ActivityQueue(),

		LikeTotalInterval: env.Duration("LIKE_TOTAL_INTERVAL", liketotal.DefaultInterval),
	}
	c := callbacks.Config{
		SDKAppID: s.IM.SDKAppID,
		Admin:    s.IM.Admin,
		Verifier: tim.CallbackVerifier{
			SDKAppID: s.IM.SDKAppID,
			Token:    s.IM.Token.Reveal(),
			Window:   s.IM.Window,
		},
		ModerationMode: callbacks.ModerationMode(env.OneOf("MODERATION_MODE", string(callbacks.ModerationReject),
			string(callbacks.ModerationReject), string(callbacks.ModerationMask), string(callbacks.ModerationDrop))),
		ModerateCustom:     env.Bool("MODERATION_CUSTOM", false),
		LikeEvent:          env.String("LIKE_EVENT", callbacks.DefaultLikeEvent),
		AbsorbLikes:        env.OneOf("LIKE_MODE", "pass", "pass", "absorb") == "absorb",
		MaxLikesPerMessage: int64(env.Int("LIKE_MAX_PER_MESSAGE", callbacks.DefaultMaxLikesPerMessage, 1, 1_000_000)),
		ServerOnlyEvents:   eventList(env, "SERVER_ONLY_EVENTS", callbacks.DefaultServerOnlyEvents),
		IOBudget:           env.Duration("CALLBACK_IO_BUDGET", callbacks.DefaultIOBudget),
	}
	if c.IOBudget > callbacks.MaxIOBudget {
		env.Problemf("CALLBACK_IO_BUDGET is %s: it must be at most %s, well below IM's 2s callback timeout.", c.IOBudget, callbacks.MaxIOBudget)
		c.IOBudget = callbacks.DefaultIOBudget
	}
	if slices.Contains(c.ServerOnlyEvents, c.LikeEvent) {
		env.Problemf("LIKE_EVENT %q is also listed in SERVER_ONLY_EVENTS: clients could not send likes.", c.LikeEvent)
		c.ServerOnlyEvents = callbacks.DefaultServerOnlyEvents
	}
	s.Callback = c
	return s
}

// Assemble builds the function from its settings on deps. The release function drains the
// activity queue and closes the store, when the function opened them.
func Assemble(ctx context.Context, s Settings, deps function.Deps) (fn platform.Function, release func(), err error) {
	var opened function.Releases
	defer func() {
		if err != nil {
			opened.Release()
		}
	}()
	moderator, err := function.Moderator(s.Words, deps.Logger)
	if err != nil {
		return fn, nil, err
	}
	kv, closeStore, err := function.OpenStore(ctx, s.Store, deps)
	if err != nil {
		return fn, nil, err
	}
	opened.Add(closeStore)
	activities, closeQueue, err := function.OpenActivities(ctx, s.Activities, deps)
	if err != nil {
		return fn, nil, err
	}
	opened.Add(closeQueue)
	if err := s.Callback.Validate(); err != nil {
		return fn, nil, err
	}
	deps.Logger.Info("IM callback configured", "config", s.Callback, "store", s.Store.Kind)
	router := httpapi.NewRouter(deps.Logger)
	handler := callbacks.New(s.Callback, callbacks.Deps{
		Moderator:  moderator,
		Stats:      roomstats.New(kv, 0),
		Publisher:  activities,
		LikeTotals: liketotal.NewElector(kv, activities, s.LikeTotalInterval, nil),
		Logger:     deps.Logger,
	})
	handler.Register(router)
	opened.Add(func() { finish(handler, deps) })
	return platform.Function{Name: Name, HTTP: router}, opened.Release, nil
}

// finishTimeout bounds how long a stopping function waits for callback I/O still running.
const finishTimeout = 15 * time.Second

// finish waits for the callbacks' I/O still running in the background, so that a stopping
// function does not cut it short, and logs what the handler did since it started.
func finish(h *callbacks.Handler, deps function.Deps) {
	ctx, cancel := context.WithTimeout(context.Background(), finishTimeout)
	defer cancel()
	if err := h.Wait(ctx); err != nil {
		deps.Logger.Warn("callback I/O was still running when the function stopped", "err", err)
	}
	deps.Logger.Info("IM callback stopped", "metrics", h.Metrics())
}

// eventList reads a comma-separated list of events; "-" means none and unset means def.
func eventList(env *config.Loader, name string, def []string) []string {
	raw := env.String(name, "")
	switch raw {
	case "":
		return def
	case "-":
		return []string{}
	}
	out := []string{}
	for part := range strings.SplitSeq(raw, ",") {
		if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	return out
}
