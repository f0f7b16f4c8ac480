package roomstest

import (
	"testing"

	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/storetest"
)

// TestMemoryKVKeepsTheStoreContract holds the fake to the rules every real adapter keeps, so
// that tests over it say something about the real stores.
func TestMemoryKVKeepsTheStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.KV { return NewMemoryKV() })
}
