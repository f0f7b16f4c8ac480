// Package configured opens the store that configuration names (STORE): bolt, DynamoDB or Redis.
// It lives apart from package function so that functions without a store do not link the
// DynamoDB and Redis clients, and a build tag leaves out the client a deployment never uses:
// no_dynamodb (Tencent SCF builds) or no_redis (AWS Lambda builds), which keeps the binaries
// small and their cold starts short.
package configured

import (
	"context"
	"fmt"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/bolt"
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
		return openDynamo(c)
	case "redis":
		return openRedis(c.Target)
	}
	return nil, fmt.Errorf("store: unknown kind %q (STORE must be bolt:, dynamodb: or redis://)", c.Kind)
}
