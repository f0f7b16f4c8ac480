// Package configured opens the store that configuration names (STORE): bolt, DynamoDB or Redis.
// It lives apart from package function so that functions without a store do not link the
// DynamoDB and Redis clients, and build tags leave out the stores a deployment never uses:
// no_dynamodb (Tencent SCF builds), no_redis (AWS Lambda builds) and no_bolt (both: the embedded
// store is for a laptop), which keeps the binaries small and their cold starts short. A binary
// built without a store refuses a STORE that names it, with an error that names the tag.
package configured

import (
	"context"
	"fmt"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/store"
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
		return openBolt(c.Target)
	case "dynamodb":
		return openDynamo(c)
	case "redis":
		return openRedis(c.Target)
	}
	return nil, fmt.Errorf("store: unknown kind %q (STORE must be bolt:, dynamodb: or redis://)", c.Kind)
}
