// Package awsclient makes the configuration of uriba's AWS clients (DynamoDB, SQS) from the
// settings Lambda hands a function: its region and its role's credentials. It leaves out the
// SDK's default configuration loader, whose shared files, single sign-on, STS and instance
// metadata a Lambda function never uses and whose code made up a third of each binary.
package awsclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/uriba-live/uriba/shared/config"
)

// Config returns the client configuration of c. The SDK's service clients add their defaults:
// standard retries (3 attempts) and their endpoints, unless c names one.
func Config(c config.AWS) aws.Config {
	return aws.Config{
		Region: c.Region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			c.AccessKeyID, c.SecretAccessKey.Reveal(), c.SessionToken.Reveal())),
	}
}

// Endpoint returns a pointer to endpoint, or nil when it is empty, for a client's BaseEndpoint.
func Endpoint(endpoint string) *string {
	if endpoint == "" {
		return nil
	}
	return aws.String(endpoint)
}
