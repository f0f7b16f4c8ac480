// Command pushurl hands out credentials: UserSigs for viewers and anchors.
package main

import (
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/function/pushurl"
)

func main() {
	function.Main(pushurl.Definition)
}
