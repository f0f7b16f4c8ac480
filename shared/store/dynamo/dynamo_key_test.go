package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/uriba-live/uriba/shared/store"
)

func TestKeysMapToOnePartitionPerDirectory(t *testing.T) {
	cases := []struct{ key, pk, sk string }{
		{"room#r1", "room#r1", "-"},
		{"rooms/status/live/r1", "rooms/status/live/", "r1"},
		{"rooms/status/live/-", "rooms/status/live/", "-"},
		{"a//b", "a//", "b"},
		{"ルーム/部屋", "ルーム/", "部屋"},
	}
	for _, c := range cases {
		av := itemKey(c.key)
		pk := av[attrPK].(*types.AttributeValueMemberS).Value
		sk := av[attrSK].(*types.AttributeValueMemberS).Value
		if pk != c.pk || sk != c.sk {
			t.Errorf("itemKey(%q) = %q, %q; want %q, %q", c.key, pk, sk, c.pk, c.sk)
		}
	}
}

func TestExpiryIsRoundedUpToAWholeSecond(t *testing.T) {
	s := &Store{}
	for _, c := range []struct {
		now  time.Time
		ttl  time.Duration
		want int64
	}{
		{time.Unix(100, 0), time.Second, 101},
		{time.Unix(100, 1), time.Second, 102},
		{time.Unix(100, 900_000_000), 200 * time.Millisecond, 102},
	} {
		s.now = func() time.Time { return c.now }
		if got := s.expiresAt(c.ttl); got != c.want {
			t.Errorf("expiresAt at %v + %v = %d, want %d", c.now, c.ttl, got, c.want)
		}
	}
	it := item{present: true, expiresAt: 101}
	if !it.live(time.Unix(100, 999_999_999)) || it.live(time.Unix(101, 0)) {
		t.Error("a value is not live exactly until its expiresAt second")
	}
}

func TestThrottlingAndTheNetworkAreTransient(t *testing.T) {
	transientErrs := []error{
		&types.ProvisionedThroughputExceededException{},
		&smithy.GenericAPIError{Code: "ThrottlingException"},
		&types.InternalServerError{},
		&retry.MaxAttemptsError{Attempt: 3, Err: errors.New("reset")},
		&net.OpError{Op: "dial", Err: errors.New("connection refused")},
	}
	for _, err := range transientErrs {
		wrapped := fmt.Errorf("operation error DynamoDB: GetItem: %w", err)
		if got := fail("Get", "k", wrapped); !errors.Is(got, store.ErrUnavailable) {
			t.Errorf("%T: got %v, want ErrUnavailable", err, got)
		}
	}
	for _, err := range []error{&types.ResourceNotFoundException{}, &smithy.GenericAPIError{Code: "AccessDeniedException"}} {
		if got := fail("Get", "k", err); !errors.Is(got, store.ErrFailed) {
			t.Errorf("%T: got %v, want ErrFailed", err, got)
		}
	}
	if got := fail("Get", "k", context.DeadlineExceeded); !errors.Is(got, store.ErrUnavailable) {
		t.Errorf("a timeout: got %v, want ErrUnavailable", got)
	}
}
