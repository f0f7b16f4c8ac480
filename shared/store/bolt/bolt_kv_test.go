package bolt

import (
	"path/filepath"
	"testing"

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
	storetest.Run(t, func(t *testing.T) store.KV { return newStore(t) })
}

func BenchmarkAdd(b *testing.B) {
	storetest.BenchmarkAdd(b, newStore(b))
}
