//go:build !no_bolt

package configured

import "github.com/uriba-live/uriba/shared/store/bolt"

func openBolt(path string) (Store, error) { return bolt.Open(path) }
