// Package giftbroadcaster assembles the giftbroadcaster function: the gift catalog and its
// new-gift prompt, coin wallets, server-billed gifts with combos, the room leaderboard, and the
// purchases the shop's order system reports.
package giftbroadcaster

import (
	"context"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function"
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
	function.GiftSettings
	Merchants  [][32]byte
	Activities config.ActivityQueue
}

// LoadSettings reads giftbroadcaster's settings through env, which collects every problem: the
// IM settings, STORE, MERCHANT_KEY_SHA256, ACTIVITY_QUEUE, the room's group custom fields and the
// gift settings (GIFT_*).
func LoadSettings(env *config.Loader) Settings {
	return Settings{
		RoomSettings: function.LoadRoomSettings(env),
		GiftSettings: function.LoadGiftSettings(env),
		Merchants:    env.MerchantKeys(),
		Activities:   env.ActivityQueue(),
	}
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
	service, err := function.Gifts(s.GiftSettings, rs, activities, deps)
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
