// Command pushurl hands out credentials (UserSigs, signed push and play URLs) and takes the
// streaming service's callbacks, which drive a room's status with its stream.
package main

import (
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/function/pushurl"
)

func main() {
	function.Main(pushurl.Definition)
}
