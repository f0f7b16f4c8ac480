//go:build !no_dynamodb

package configured

import (
	"github.com/uriba-live/uriba/shared/awsclient"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/store/dynamo"
)

func openDynamo(c config.Store) (Store, error) {
	return dynamo.Open(awsclient.Config(c.AWS), c.AWS.DynamoDBEndpoint, c.Target), nil
}
