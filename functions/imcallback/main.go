// Command imcallback answers Tencent IM's callbacks for live rooms: it verifies each callback,
// moderates messages before IM delivers them, refuses server-only events sent by clients, counts
// likes and viewers, and hands the activities of delivered messages to the activity queue. It
// serves POST /v1/callbacks/im.
package main

import (
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/function/imcallback"
)

func main() {
	function.Main(imcallback.Definition)
}
