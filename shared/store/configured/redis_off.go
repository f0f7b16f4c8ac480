//go:build no_redis

package configured

import "errors"

func openRedis(string) (Store, error) {
	return nil, errors.New("store: this binary was built without Redis (tag no_redis)")
}
