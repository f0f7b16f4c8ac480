package statefile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type sample struct {
	Name  string         `json:"name"`
	Count int            `json:"count"`
	Tags  map[string]int `json:"tags"`
}

func TestSaveAndLoadRoundTripPrivately(t *testing.T) {
	path := filepath.Join(t.TempDir(), "var", "state.json")
	want := sample{Name: "room-1", Count: 3, Tags: map[string]int{"a": 1}}
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, sample{Name: "room-2", Count: 4}); err != nil {
		t.Fatal(err)
	}
	var got sample
	found, err := Load(path, &got)
	if err != nil || !found {
		t.Fatalf("Load: %v, found %v", err, found)
	}
	if got.Name != "room-2" || got.Count != 4 || got.Tags != nil {
		t.Fatalf("loaded %+v, want the second version", got)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("mode %v, want 0600", perm)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("the folder holds %d entries, want only the state file", len(entries))
	}
}

func TestLoadReportsAMissingFile(t *testing.T) {
	var got sample
	found, err := Load(filepath.Join(t.TempDir(), "none.json"), &got)
	if found || err != nil {
		t.Fatalf("found %v, err %v; want neither", found, err)
	}
}

func TestLoadRefusesATornFileAndMakesItPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(`{"name":"ro`), 0o644); err != nil {
		t.Fatal(err)
	}
	var got sample
	_, err := Load(path, &got)
	if err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("err %v, want one that says how to start afresh", err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v after Load, want 0600", info.Mode().Perm())
	}
}
