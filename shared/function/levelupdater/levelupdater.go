// Package levelupdater assembles the levelupdater function: it credits viewer activities to
// levels exactly once and announces level-ups, consuming the activity queue (SQS batches on
// Lambda, asynchronous invocations carrying {"activities":[…]} on SCF), and serves
// GET /v1/users/{userId}/level.
package levelupdater

import (
	"context"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/liketotal"
	"github.com/uriba-live/uriba/shared/platform"
	queueconf "github.com/uriba-live/uriba/shared/queue/configured"
	"github.com/uriba-live/uriba/shared/roomstats"
)

// Name is the function's name.
const Name = "levelupdater"

// Definition is the levelupdater function.
var Definition = function.Define(Name, LoadSettings, Assemble)

// Settings are what levelupdater reads from the environment.
type Settings struct {
	IM        config.IM
	Store     config.Store
	Merchants [][32]byte
	Levels    levels.Config
	// LikesField is the group custom field that carries a room's like total.
	LikesField string
}

// LoadSettings reads levelupdater's settings through env, which collects every problem: the IM
// settings, STORE, MERCHANT_KEY_SHA256, the level rules (LEVEL_XP, LEVEL_DAILY_CAP,
// LEVEL_THRESHOLDS or LEVEL_CURVE_BASE and LEVEL_MAX, LEVEL_MAX_AMOUNT) and LEVEL_REMEMBER
// (default 256), how many recently credited activities each user record remembers, and the
// room's group custom fields, of which it sets the like total.
func LoadSettings(env *config.Loader) Settings {
	return Settings{
		IM:        env.IM(),
		Store:     env.Store(""),
		Merchants: env.MerchantKeys(),
		Levels:    loadLevels(env),

		LikesField: function.LoadRoomFields(env).Likes,
	}
}

// Assemble builds the function from its settings on deps. When deps.ConsumeActivities is set,
// it is given the level updater. The release function closes the store, when the function
// opened it.
func Assemble(ctx context.Context, s Settings, deps function.Deps) (fn platform.Function, release func(), err error) {
	im, err := function.IMClient(s.IM, deps)
	if err != nil {
		return fn, nil, err
	}
	kv, closeStore, err := function.OpenStore(ctx, s.Store, deps)
	if err != nil {
		return fn, nil, err
	}
	cfg := s.Levels
	cfg.Logger = deps.Logger
	updater, err := levels.NewUpdater(kv, levels.IM{Client: im}, cfg)
	if err != nil {
		closeStore()
		return fn, nil, err
	}
	stats := roomstats.New(kv, 0)
	consumer := liketotal.Split(updater, &liketotal.Publisher{
		Counts: stats, Timeline: stats, KV: kv, IM: im, Field: s.LikesField, Logger: deps.Logger,
	})
	if deps.ConsumeActivities != nil {
		deps.ConsumeActivities(consumer)
	}
	router := httpapi.NewRouter(deps.Logger)
	httpapi.Levels{Reader: updater, Merchants: httpapi.MerchantKeys{Digests: s.Merchants}, Admin: s.IM.Admin}.Register(router)
	return platform.Function{Name: Name, HTTP: router, Event: queueconf.Consumer(consumer, deps.Logger)}, closeStore, nil
}
