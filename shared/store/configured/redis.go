//go:build !no_redis

package configured

import "github.com/uriba-live/uriba/shared/store/redis"

func openRedis(url string) (Store, error) { return redis.Open(url) }
