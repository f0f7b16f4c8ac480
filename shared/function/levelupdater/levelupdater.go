// Package levelupdater assembles the levelupdater function: it credits viewer activities to
// levels exactly once and announces level-ups, consuming the activity queue (SQS batches on
// Lambda, asynchronous invocations carrying {"activities":[…]} on SCF), and serves
// GET /v1/users/{userId}/level.
package levelupdater

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/liketotal"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/platform"
	queueconf "github.com/uriba-live/uriba/shared/queue/configured"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/roomstats"
)

// Name is the function's name.
const Name = "levelupdater"

// Definition is the levelupdater function.
var Definition = function.Define(Name, LoadSettings, Assemble)

// Settings are what levelupdater reads from the environment.
type Settings struct {
	function.RoomSettings
	function.GiftSettings
	Merchants [][32]byte
	Levels    levels.Config
	// LevelUpsPerSecond is how many level-ups a room announces in a second.
	LevelUpsPerSecond int
}

// LoadSettings reads levelupdater's settings through env, which collects every problem: the IM
// settings, STORE, MERCHANT_KEY_SHA256, the level rules (LEVEL_XP, LEVEL_DAILY_CAP,
// LEVEL_THRESHOLDS or LEVEL_CURVE_BASE and LEVEL_MAX, LEVEL_MAX_AMOUNT) and LEVEL_REMEMBER
// (default 256), how many recently credited activities each user record remembers,
// LEVEL_UP_MESSAGES_PER_SECOND (default 5, at most 40), how many level-ups a room announces in a
// second, the room's group custom fields, of which it sets the like total, and the gift settings
// of its sweep.
func LoadSettings(env *config.Loader) Settings {
	return Settings{
		RoomSettings:      function.LoadRoomSettings(env),
		GiftSettings:      function.LoadGiftSettings(env),
		Merchants:         env.MerchantKeys(),
		Levels:            loadLevels(env),
		LevelUpsPerSecond: env.Int("LEVEL_UP_MESSAGES_PER_SECOND", levels.DefaultLevelUpsPerSecond, 1, 40),
	}
}

// SweepEvery is the period of the gift sweep: the schedule in the deployment descriptors and the
// dev server's ticker.
const SweepEvery = time.Minute

// sweepRooms bounds the rooms one sweep settles; the rest wait for the next.
const sweepRooms = 100

// Assemble builds the function from its settings on deps. Deliveries of the activity queue are
// credited; a scheduled event (an EventBridge schedule, an SCF timer, the dev server's ticker)
// sweeps the gifts of live and paused rooms that no request will settle. When
// deps.ConsumeActivities is set, it is given the level updater. The release function closes the
// store, when the function opened it.
func Assemble(ctx context.Context, s Settings, deps function.Deps) (fn platform.Function, release func(), err error) {
	rs, closeStore, err := function.OpenRooms(ctx, s.RoomSettings, deps)
	if err != nil {
		return fn, nil, err
	}
	kv, im := rs.KV, rs.IM
	cfg := s.Levels
	cfg.Logger = deps.Logger
	announcer := levels.RoomBudget{Announcer: levels.IM{Client: im}, Counters: kv, PerSecond: s.LevelUpsPerSecond}
	updater, err := levels.NewUpdater(kv, announcer, cfg)
	if err != nil {
		closeStore()
		return fn, nil, err
	}
	stats := roomstats.New(kv, 0)
	consumer := liketotal.Split(updater, &liketotal.Publisher{
		Counts: stats, Timeline: stats, KV: kv, IM: im, Field: s.Fields.Likes, Logger: deps.Logger,
	})
	if deps.ConsumeActivities != nil {
		deps.ConsumeActivities(consumer)
	}
	gifts, err := function.Gifts(s.GiftSettings, rs, credit{updater}, deps)
	if err != nil {
		closeStore()
		return fn, nil, err
	}
	consume := queueconf.Consumer(consumer, deps.Logger)
	event := func(ctx context.Context, raw json.RawMessage) (any, error) {
		if !platform.IsSchedule(raw) {
			return consume(ctx, raw)
		}
		var ids []string
		for _, status := range []live.RoomStatus{live.StatusLive, live.StatusPaused} {
			page, err := rs.Service.List(ctx, rooms.ListParams{Status: status, Limit: sweepRooms})
			if err != nil {
				return nil, err
			}
			for _, r := range page.Rooms {
				ids = append(ids, r.ID)
			}
		}
		return gifts.Sweep(ctx, ids), nil
	}
	router := httpapi.NewRouter(deps.Logger)
	httpapi.Levels{Reader: updater, Merchants: httpapi.MerchantKeys{Digests: s.Merchants}, Admin: s.IM.Admin}.Register(router)
	return platform.Function{Name: Name, HTTP: router, Event: event, Schedule: SweepEvery}, closeStore, nil
}

// credit is a queue.Publisher that credits activities at once through the level updater, so that
// the gifts a sweep finishes earn their XP without a round trip through the queue.
type credit struct{ updater *levels.Updater }

func (c credit) Publish(ctx context.Context, activities ...live.Activity) error {
	failed, err := c.updater.Apply(ctx, activities)
	if err == nil && len(failed) > 0 {
		err = fmt.Errorf("levelupdater: %d of %d activities not credited", len(failed), len(activities))
	}
	return err
}
