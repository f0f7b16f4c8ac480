// Command giftbroadcaster runs the gift catalog and its new-gift prompt, coin wallets,
// server-billed gifts with combos, the room leaderboard, and the purchases the shop's order
// system reports.
package main

import (
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/function/giftbroadcaster"
)

func main() {
	function.Main(giftbroadcaster.Definition)
}
