package live

// The custom message events of a room (TIMCustomElem Data), the wire protocol of Tencent's
// im-live-sells SDK. The server sends SEND_GIFT, NEW_GIFT, LEVEL_UP and LIVE_ENDED, and only it
// may (ServerEvents); it sends BUY_GOODS from the buyer's account for a purchase the shop
// reported. Clients send LIKE, BUY_GOODS, USE_COUPON, ATTENTION and CANCELATTENTION as prompts.
const (
	EventSendGift  = "SEND_GIFT"
	EventNewGift   = "NEW_GIFT"
	EventLevelUp   = "LEVEL_UP"
	EventLiveEnded = "LIVE_ENDED"
	EventBuyGoods  = "BUY_GOODS"
	EventLike      = "LIKE"
	EventUseCoupon = "USE_COUPON"
	EventFollow    = "ATTENTION"
	EventUnfollow  = "CANCELATTENTION"
)

// ServerEvents returns the events only the server may send.
func ServerEvents() []string {
	return []string{EventSendGift, EventLevelUp, EventNewGift, EventLiveEnded}
}
