//go:build !no_lambda

package platform

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

// lambdaBuilt reports whether this binary holds the Lambda runtime client.
const lambdaBuilt = true

// startLambda serves the Lambda runtime API with inv and never returns. The Lambda library takes
// an Invoke([]byte) handler without reflection.
func startLambda(ctx context.Context, inv invoker) {
	lambda.StartWithOptions(inv, lambda.WithContext(ctx))
}
