// Package giftbroadcaster assembles the giftbroadcaster function: the gift catalog and its
// new-gift prompt, coin wallets, server-billed gifts with combos, the room leaderboard, and the
// purchases the shop's order system reports.
package giftbroadcaster

import (
	"context"
	"time"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/gifts"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/platform"
)

// Name is the function's name.
const Name = "giftbroadcaster"

// Definition is the giftbroadcaster function.
var Definition = function.Define(Name, LoadSettings, Assemble)

// Settings are what giftbroadcaster reads from the environment.
type Settings struct {
	function.RoomSettings
	Merchants         [][32]byte
	Activities        config.ActivityQueue
	ComboWindow       time.Duration
	MessagesPerSecond int
	ReconcileAfter    time.Duration
}

// LoadSettings reads giftbroadcaster's settings through env, which collects every problem:
//
//	the IM settings, STORE, MERCHANT_KEY_SHA256, ACTIVITY_QUEUE, the room's group custom fields
//	GIFT_COMBO_WINDOW         how soon the same gift from the same viewer continues a combo (default 3s)
//	GIFT_MESSAGES_PER_SECOND  gift messages per room and second, at least 2 (default 10); past it
//	                          gifts are announced merged
//	GIFT_RECONCILE_AFTER      how long a gift request must have been gone before the room's next
//	                          gift request finishes what it left halfway (default 1m, 20s to 1h)
func LoadSettings(env *config.Loader) Settings {
	s := Settings{
		RoomSettings:      function.LoadRoomSettings(env),
		Merchants:         env.MerchantKeys(),
		Activities:        env.ActivityQueue(),
		ComboWindow:       env.Duration("GIFT_COMBO_WINDOW", gifts.DefaultComboWindow),
		MessagesPerSecond: env.Int("GIFT_MESSAGES_PER_SECOND", gifts.DefaultMessagesPerSecond, 2, 40),
		ReconcileAfter:    env.Duration("GIFT_RECONCILE_AFTER", gifts.DefaultReconcileAfter),
	}
	// A request runs for at most 15 s once it moves coins: a gift younger than 20 s may still be
	// in the hands of its request.
	if s.ReconcileAfter < 20*time.Second || s.ReconcileAfter > time.Hour {
		env.Problemf("GIFT_RECONCILE_AFTER is %s: it must be between 20s and 1h.", s.ReconcileAfter)
		s.ReconcileAfter = gifts.DefaultReconcileAfter
	}
	if s.ComboWindow <= 0 || s.ComboWindow > time.Minute {
		env.Problemf("GIFT_COMBO_WINDOW is %s: it must be above zero and at most 1m.", s.ComboWindow)
		s.ComboWindow = gifts.DefaultComboWindow
	}
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
	rs, closeStore, err := function.OpenRooms(ctx, s.RoomSettings, deps)
	if err != nil {
		return fn, nil, err
	}
	opened.Add(closeStore)
	kv := rs.KV
	activities, closeQueue, err := function.OpenActivities(ctx, s.Activities, deps)
	if err != nil {
		return fn, nil, err
	}
	opened.Add(closeQueue)
	service, err := gifts.New(kv, rs.IM, rs.Service, activities, gifts.Config{
		Admin: s.IM.Admin, ComboWindow: s.ComboWindow, MessagesPerSecond: s.MessagesPerSecond,
		ReconcileAfter: s.ReconcileAfter, Logger: deps.Logger,
	})
	if err != nil {
		return fn, nil, err
	}
	router := httpapi.NewRouter(deps.Logger)
	httpapi.Gifts{
		Service:     service,
		Merchants:   httpapi.MerchantKeys{Digests: s.Merchants},
		Viewers:     function.Viewers(s.IM),
		Idempotency: httpapi.Idempotency{Store: kv, Logger: deps.Logger},
	}.Register(router)
	return platform.Function{Name: Name, HTTP: router}, opened.Release, nil
}
