// Package streamender assembles the streamender function, which runs on a schedule and ends the
// rooms whose scheduled end has passed or that stayed paused too long: it drops and forbids their
// stream through the Cloud API, announces LIVE_ENDED and marks them ended.
package streamender

import (
	"context"
	"encoding/json"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/platform"
)

// Name is the function's name.
const Name = "streamender"

// Definition is the streamender function.
var Definition = function.Define(Name, LoadSettings, Assemble)

// Settings are what streamender reads from the environment.
type Settings struct {
	function.EndingSettings
}

// LoadSettings reads streamender's settings through env, which collects every problem: the IM
// settings, STORE, the room's group custom fields, the streaming settings and the Cloud API access.
func LoadSettings(env *config.Loader) Settings {
	return Settings{EndingSettings: function.LoadEndingSettings(env, "drops and forbids streams")}
}

// Assemble builds the function from its settings on deps: every event it receives (an
// EventBridge Scheduler event, an SCF timer, the dev server's ticker) is one run, whose report is
// the reply. The release function closes the store, when the function opened it.
func Assemble(ctx context.Context, s Settings, deps function.Deps) (fn platform.Function, release func(), err error) {
	_, ender, closeStore, err := function.OpenEnding(ctx, s.EndingSettings, deps)
	if err != nil {
		return fn, nil, err
	}
	run := func(ctx context.Context, _ json.RawMessage) (any, error) { return ender.Run(ctx) }
	return platform.Function{Name: Name, HTTP: httpapi.NewRouter(deps.Logger), Event: run, Schedule: s.Streaming.EndInterval}, closeStore, nil
}
