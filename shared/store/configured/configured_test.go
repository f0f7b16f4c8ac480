package configured

import (
	"context"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/config"
)

func TestOpenRefusesUnknownKinds(t *testing.T) {
	if _, err := Open(context.Background(), config.Store{Kind: "postgres"}); err == nil || !strings.Contains(err.Error(), "STORE") {
		t.Fatalf("unknown kind: %v", err)
	}
}
