package levels

import (
	"slices"

	"github.com/uriba-live/uriba/shared/live"
)

// Kinds lists the activity kinds uriba produces, the only kinds configuration may name: those
// of client messages (live.ClientKinds) and those the server attests, gifts and purchases.
var Kinds = append(slices.Clone(live.ClientKinds), live.KindGift, live.KindPurchase)
