// Package levelstest gives tests a levels.Updater over the embedded store.
package levelstest

import (
	"path/filepath"
	"testing"

	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store/bolt"
)

// Updater returns an Updater with the default level rules over an empty bolt store in a
// temporary file, which is closed when the test ends. It announces level-ups to no one.
func Updater(t testing.TB) *levels.Updater {
	t.Helper()
	kv, err := bolt.Open(filepath.Join(t.TempDir(), "levels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	u, err := levels.NewUpdater(kv, nil, levels.Config{Rules: live.DefaultLevelRules()})
	if err != nil {
		t.Fatal(err)
	}
	return u
}
