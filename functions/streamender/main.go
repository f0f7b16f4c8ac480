// Command streamender ends, on a schedule, the rooms whose time is up or whose stream stayed
// away too long: it drops and forbids the stream, announces LIVE_ENDED and marks the room ended.
package main

import (
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/function/streamender"
)

func main() {
	function.Main(streamender.Definition)
}
