// Package configured opens the store that configuration names (STORE): bolt, DynamoDB or Redis.
// It lives apart from package compose so that functions without a store do not link the
// DynamoDB and Redis clients.
package configured

import (
	"context"
	"fmt"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/bolt"
	"github.com/uriba-live/uriba/shared/store/dynamo"
	"github.com/uriba-live/uriba/shared/store/redis"
)

// Store is an open store that holds a file or connections until it is closed.
type Store interface {
	store.KV
	Close() error
}

// Open opens the configured store.
func Open(ctx context.Context, c config.Store) (Store, error) {
	switch c.Kind {
	case "bolt":
		return bolt.Open(c.Target)
	case "dynamodb":
		return dynamo.Open(ctx, c.Target)
	case "redis":
		return redis.Open(c.Target)
	}
	return nil, fmt.Errorf("store: unknown kind %q (STORE must be bolt:, dynamodb: or redis://)", c.Kind)
}
