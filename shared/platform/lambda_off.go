//go:build no_lambda

package platform

import "context"

// lambdaBuilt reports whether this binary holds the Lambda runtime client: not with no_lambda.
const lambdaBuilt = false

func startLambda(context.Context, invoker) {}
