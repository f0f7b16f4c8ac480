// Command levelupdater credits viewer activities to levels exactly once and announces level-ups.
// It consumes the activity queue: SQS batches on Lambda, asynchronous invocations carrying
// {"activities":[…]} on SCF. It also serves GET /v1/users/{userId}/level.
package main

import (
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/function/levelupdater"
)

func main() {
	function.Main(levelupdater.Definition)
}
