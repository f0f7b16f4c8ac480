package bolt

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/storetest"
)

func newStore(t testing.TB) *Store {
	s, err := Open(filepath.Join(t.TempDir(), "uriba.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.RunWithClock(t, func(t *testing.T, now func() time.Time) store.KV {
		s := newStore(t)
		s.now = now
		return s
	})
}

func BenchmarkAdd(b *testing.B) {
	storetest.BenchmarkAdd(b, newStore(b))
}
