//go:build no_dynamodb

package configured

import (
	"context"
	"errors"
)

func openDynamo(context.Context, string) (Store, error) {
	return nil, errors.New("store: this binary was built without DynamoDB (tag no_dynamodb)")
}
