package levels

import (
	"github.com/uriba-live/uriba/shared/live"
)

// Kinds lists the activity kinds uriba produces, the only kinds configuration may name.
var Kinds = []live.ActivityKind{
	live.KindChat, live.KindLike, live.KindBuy, live.KindCoupon, live.KindFollow, live.KindGift,
}
