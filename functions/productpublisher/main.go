// Command productpublisher runs live rooms for merchant tools: it creates a room with its IM
// group, changes its status, sets its notice and pins its current product, and serves the
// OpenAPI document of uriba's HTTP API.
package main

import (
	"github.com/uriba-live/uriba/shared/function"
	"github.com/uriba-live/uriba/shared/function/productpublisher"
)

func main() {
	function.Main(productpublisher.Definition)
}
