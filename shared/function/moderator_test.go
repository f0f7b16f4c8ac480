package function

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/moderation"
)

// wordFiles writes a word list with text src, and, unless compiledFrom is empty, a compiled form
// for that text made from the list compiledFrom (which lets a test tell which one was used).
func wordFiles(t *testing.T, src, compiledFrom string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if compiledFrom != "" {
		l, rep, err := moderation.ParseWordList(strings.NewReader(compiledFrom))
		if err != nil {
			t.Fatal(err)
		}
		data := moderation.EncodeCompiled(moderation.Compile(l), []byte(src), rep)
		if err := os.WriteFile(path+moderation.CompiledSuffix, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func moderator(t *testing.T, path string) (*moderation.Matcher, string) {
	t.Helper()
	var logs bytes.Buffer
	m, err := Moderator(config.WordList{File: path}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return m, logs.String()
}

func TestModeratorLoadsTheCompiledListOfTheCurrentText(t *testing.T) {
	// The compiled form claims to be made from the text, so it is loaded as is: it bans what it
	// was compiled from.
	m, logs := moderator(t, wordFiles(t, "fakegoods\n", "knockoff\n"))
	if !m.Contains("a k.n.o.c.k.o.f.f bag") || m.Contains("fakegoods") {
		t.Fatalf("the compiled list was not the one used; logs:\n%s", logs)
	}
	if strings.Contains(logs, "compiling") || !strings.Contains(logs, "compiled=") {
		t.Fatalf("logs:\n%s", logs)
	}
}

func TestModeratorCompilesAStaleOrMissingCompiledList(t *testing.T) {
	path := wordFiles(t, "fakegoods\nknockoff\n", "fakegoods\n")
	if _, err := moderation.WriteCompiled(path); err != nil {
		t.Fatal(err)
	}
	// The list was edited after it was compiled.
	if err := os.WriteFile(path, []byte("fakegoods\nknockoff\nreplica\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, logs := moderator(t, path)
	if !m.Contains("a replica bag") {
		t.Fatalf("the stale compiled list was used; logs:\n%s", logs)
	}
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "compiling the word list") || !strings.Contains(logs, "stale") {
		t.Fatalf("the fallback was not logged as a warning:\n%s", logs)
	}

	m, logs = moderator(t, wordFiles(t, "replica\n", ""))
	if !m.Contains("a replica bag") || !strings.Contains(logs, "no compiled word list") {
		t.Fatalf("without a compiled form; logs:\n%s", logs)
	}

	path = wordFiles(t, "replica\n", "")
	if err := os.WriteFile(path+moderation.CompiledSuffix, []byte("not a compiled list"), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, logs = moderator(t, path); !m.Contains("a replica bag") || !strings.Contains(logs, "level=WARN") {
		t.Fatalf("a broken compiled form; logs:\n%s", logs)
	}
}
