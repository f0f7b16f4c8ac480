package configured

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/config"
)

func TestOpenBoltAndRefuseUnknownKinds(t *testing.T) {
	s, err := Open(context.Background(), config.Store{Kind: "bolt", Target: filepath.Join(t.TempDir(), "u.db")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(context.Background(), "n", 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), config.Store{Kind: "postgres"}); err == nil || !strings.Contains(err.Error(), "STORE") {
		t.Fatalf("unknown kind: %v", err)
	}
}
