package live

import (
	"slices"
	"time"
)

// ActivityKind is what a viewer did in a room.
type ActivityKind string

// Activity kinds. Each earns experience by the level rules.
//
// Chat, like, coupon and follow come from messages viewers send, which anyone in a room can send
// as often as they like: DefaultLevelRules caps each of them per day. Gift and purchase come only
// from the server, for events it attests itself: a gift it billed, a purchase the shop's order
// system reported. No client message ever produces them; in particular a BUY_GOODS message a
// viewer sends is a prompt in the room and earns nothing.
const (
	KindChat     ActivityKind = "chat"     // a text message reached the room
	KindLike     ActivityKind = "like"     // a like
	KindCoupon   ActivityKind = "coupon"   // a coupon used, as the viewer's client announced it
	KindFollow   ActivityKind = "follow"   // the viewer followed the anchor
	KindGift     ActivityKind = "gift"     // a paid gift, billed by the server; Amount is its price in coins
	KindPurchase ActivityKind = "purchase" // a paid order the shop reported to the server
	// KindLikeTotal is no viewer's activity and earns nothing: it asks the consumer to publish
	// the room's like total once NotBefore has passed.
	KindLikeTotal ActivityKind = "like_total"
)

// ClientKinds are the kinds that come from messages viewers send.
var ClientKinds = []ActivityKind{KindChat, KindLike, KindCoupon, KindFollow}

// FromClient reports whether activities of kind k come from messages viewers send, rather than
// from events the server attests.
func (k ActivityKind) FromClient() bool { return slices.Contains(ClientKinds, k) }

// Activity is one thing a viewer did in a room, as the level rules see it. ID identifies the
// underlying event so that redelivered activities are credited once.
type Activity struct {
	ID     string       `json:"id"`
	RoomID string       `json:"roomId"`
	UserID string       `json:"userId"`
	Kind   ActivityKind `json:"kind"`
	Amount int64        `json:"amount"`
	At     time.Time    `json:"at"`
	// NotBefore, when set, is the earliest time the activity should be handled: a queue that
	// can delay a message holds it until then, and the consumer waits for what is left.
	NotBefore time.Time `json:"notBefore,omitzero"`
}
