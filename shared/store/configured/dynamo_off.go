//go:build no_dynamodb

package configured

import (
	"errors"

	"github.com/uriba-live/uriba/shared/config"
)

func openDynamo(config.Store) (Store, error) {
	return nil, errors.New("store: this binary was built without DynamoDB (tag no_dynamodb)")
}
