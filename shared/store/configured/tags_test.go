//go:build no_bolt || no_dynamodb || no_redis

package configured

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/config"
)

// TestALeftOutStoreIsRefusedClearly runs in the tagged builds the Makefile makes for each cloud:
// every store the binary left out is refused with an error that names its build tag.
func TestALeftOutStoreIsRefusedClearly(t *testing.T) {
	cases := []struct {
		tag   string
		store config.Store
	}{
		{"no_bolt", config.Store{Kind: "bolt", Target: filepath.Join(t.TempDir(), "u.db")}},
		{"no_dynamodb", config.Store{Kind: "dynamodb", Target: "uriba"}},
		{"no_redis", config.Store{Kind: "redis", Target: "redis://127.0.0.1:1/0"}},
	}
	refused := 0
	for _, c := range cases {
		s, err := Open(context.Background(), c.store)
		if err == nil {
			_ = s.Close()
			continue
		}
		// Every store opens without contacting anything: only a left-out one is refused.
		if !strings.Contains(err.Error(), c.tag) {
			t.Errorf("%s refused without naming %s: %v", c.store.Kind, c.tag, err)
		}
		refused++
	}
	if refused == 0 {
		t.Fatal("no left-out store was refused with its tag")
	}
}
