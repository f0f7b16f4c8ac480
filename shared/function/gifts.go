package function

import (
	"time"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/gifts"
	"github.com/uriba-live/uriba/shared/queue"
)

// GiftSettings are the settings of the gift service, which the gift function uses to bill gifts
// and the level updater to finish, on its schedule, what gift requests left undone.
type GiftSettings struct {
	ComboWindow       time.Duration
	MessagesPerSecond int
	ReconcileAfter    time.Duration
}

// LoadGiftSettings reads, through env:
//
//	GIFT_COMBO_WINDOW         how soon the same gift from the same viewer continues a combo (default 3s)
//	GIFT_MESSAGES_PER_SECOND  gift messages per room and second, at least 2 (default 10); past it
//	                          gifts are announced merged
//	GIFT_RECONCILE_AFTER      how long a gift request must have been gone before what it left
//	                          halfway is finished (default 1m, 20s to 1h)
func LoadGiftSettings(env *config.Loader) GiftSettings {
	s := GiftSettings{
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

// Gifts returns the gift service over rs, publishing gift XP to activities.
func Gifts(s GiftSettings, rs *Rooms, activities queue.Publisher, deps Deps) (*gifts.Service, error) {
	return gifts.New(rs.KV, rs.IM, rs.Service, activities, gifts.Config{
		Admin: rs.Admin, ComboWindow: s.ComboWindow, MessagesPerSecond: s.MessagesPerSecond,
		ReconcileAfter: s.ReconcileAfter, Logger: deps.Logger,
	})
}
