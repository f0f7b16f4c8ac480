package live

import "time"

// ActivityKind is what a viewer did in a room.
type ActivityKind string

// Activity kinds. Each earns experience by the level rules.
const (
	KindChat   ActivityKind = "chat"   // a text message reached the room
	KindLike   ActivityKind = "like"   // a like
	KindBuy    ActivityKind = "buy"    // a purchase announced in the room
	KindCoupon ActivityKind = "coupon" // a coupon used
	KindFollow ActivityKind = "follow" // the viewer followed the anchor
	KindGift   ActivityKind = "gift"   // a paid gift; Amount is its price in coins
)

// Activity is one thing a viewer did in a room, as the level rules see it. ID identifies the
// underlying event so that redelivered activities are credited once.
type Activity struct {
	ID     string       `json:"id"`
	RoomID string       `json:"roomId"`
	UserID string       `json:"userId"`
	Kind   ActivityKind `json:"kind"`
	Amount int64        `json:"amount"`
	At     time.Time    `json:"at"`
}
