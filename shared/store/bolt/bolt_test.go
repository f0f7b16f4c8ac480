package bolt

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenCreatesTheFileAndRefusesASecondOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uriba.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Fatalf("second open: got %v, want a clear refusal", err)
	}
}
