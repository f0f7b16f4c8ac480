package dynamo

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/uriba-live/uriba/shared/awsclient"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/storetest"
)

// useTestServer points the AWS SDK at the DynamoDB-compatible server named by
// URIBA_TEST_DYNAMODB_ENDPOINT, with dummy credentials, through the environment variables the
// SDK reads, so that Open is tested as deployments use it.
func useTestServer(t testing.TB) {
	endpoint := storetest.Integration(t, "URIBA_TEST_DYNAMODB_ENDPOINT")
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") && !strings.HasPrefix(endpoint, "http://localhost:") {
		t.Fatalf("URIBA_TEST_DYNAMODB_ENDPOINT=%s is not on loopback", endpoint)
	}
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// newStore returns a store on a table of its own, deleted when the test ends.
func newStore(t testing.TB) *Store {
	ctx := context.Background()
	c := config.NewLoader(os.Getenv).AWS()
	// moto, the test server, now and then sends a reply whose CRC32 header does not match its
	// body when it is busy; the SDK then repeats the call, and a repeated Delete can no longer tell
	// that it removed the item. DynamoDB's replies carry a correct checksum, so the contract is
	// held without that artefact; lostreply_test.go covers replies that really are lost.
	client := dynamodb.NewFromConfig(awsclient.Config(c), func(o *dynamodb.Options) {
		o.BaseEndpoint = awsclient.Endpoint(c.DynamoDBEndpoint)
		o.DisableValidateResponseChecksum = true
	})
	s := New(client, "uriba-test-"+strings.ToLower(rand.Text()[:12]))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.DeleteTable(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	useTestServer(t)
	storetest.Run(t, func(t *testing.T) store.KV { return newStore(t) })
}

func BenchmarkAdd(b *testing.B) {
	useTestServer(b)
	storetest.BenchmarkAdd(b, newStore(b))
}
