//go:build !no_bolt

package configured

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/uriba-live/uriba/shared/config"
)

func TestOpenBolt(t *testing.T) {
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
}
