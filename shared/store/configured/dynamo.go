//go:build !no_dynamodb

package configured

import (
	"context"

	"github.com/uriba-live/uriba/shared/store/dynamo"
)

func openDynamo(ctx context.Context, table string) (Store, error) { return dynamo.Open(ctx, table) }
