package dynamo

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/uriba-live/uriba/shared/awsclient"
	"github.com/uriba-live/uriba/shared/config"
)

// loseFirstReply forwards requests to the server, but for the first request of the given
// DynamoDB operation drops the reply after the server has applied it, as a network would.
type loseFirstReply struct {
	operation string
	lost      atomic.Bool
}

func (l *loseFirstReply) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.Header.Get("X-Amz-Target") == "DynamoDB_20120810."+l.operation && l.lost.CompareAndSwap(false, true) {
		resp.Body.Close()
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	return resp, err
}

// TestConditionalWritesSurviveALostReply checks that a PutIfAbsent or CompareAndSwap whose reply
// was lost, and which the SDK therefore sent again, still reports that it was applied.
func TestConditionalWritesSurviveALostReply(t *testing.T) {
	useTestServer(t)
	ctx := context.Background()
	base := newStore(t)
	for _, op := range []string{"PutIfAbsent", "CompareAndSwap"} {
		t.Run(op, func(t *testing.T) {
			c := config.NewLoader(os.Getenv).AWS()
			lossy := &loseFirstReply{operation: "PutItem"}
			s := New(dynamodb.NewFromConfig(awsclient.Config(c), func(o *dynamodb.Options) {
				o.BaseEndpoint = awsclient.Endpoint(c.DynamoDBEndpoint)
				o.HTTPClient = &http.Client{Transport: lossy}
			}), base.table)
			var err error
			key := "lost-reply/" + op
			var applied bool
			if op == "PutIfAbsent" {
				applied, err = s.PutIfAbsent(ctx, key, []byte("first"), 0)
			} else {
				if err := base.Put(ctx, key, []byte("old"), 0); err != nil {
					t.Fatal(err)
				}
				applied, err = s.CompareAndSwap(ctx, key, []byte("old"), []byte("new"), 0)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !lossy.lost.Load() {
				t.Fatal("no reply was lost: the test did not exercise a retry")
			}
			if !applied {
				t.Fatalf("%s was applied but reported as not applied after the retry", op)
			}
		})
	}
}
