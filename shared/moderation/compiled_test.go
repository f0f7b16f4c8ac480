package moderation_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/moderation"
	"github.com/uriba-live/uriba/shared/moderation/moderationtest"
)

// TestCompiledListFindsWhatCompileFinds loads the compiled form of a 10,000-word list and of the
// built-in list and checks that it reports the same hits as the Matcher compiled from the text.
func TestCompiledListFindsWhatCompileFinds(t *testing.T) {
	c := moderationtest.Generate(10_000, 200, 7)
	evasions := readLines(t, "testdata/evasion.txt")
	clean := readLines(t, "testdata/clean.txt")
	for name, src := range map[string]string{
		"generated": strings.Join(c.Words, "\n") + "\n!" + c.Words[0] + "x\n",
		"built-in":  builtinSource(t),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "words.txt")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := moderation.WriteCompiled(path); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path + moderation.CompiledSuffix)
			if err != nil {
				t.Fatal(err)
			}
			loaded, rep, err := moderation.LoadCompiled(data, []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			l, wantRep, err := moderation.ParseWordList(strings.NewReader(src))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rep, wantRep) {
				t.Errorf("report = %+v, want %+v", rep, wantRep)
			}
			compiled := moderation.Compile(l)
			texts := append(append(append([]string{}, c.Clean...), c.Dirty...), clean...)
			for _, e := range evasions {
				texts = append(texts, e[strings.LastIndexByte(e, '\t')+1:])
			}
			hits := 0
			for _, text := range texts {
				want := compiled.Find(text, nil)
				hits += len(want)
				if got := loaded.Find(text, nil); !reflect.DeepEqual(got, want) {
					t.Fatalf("Find(%q) = %v, want %v", text, got, want)
				}
				if got, want := loaded.Contains(text), compiled.Contains(text); got != want {
					t.Fatalf("Contains(%q) = %v, want %v", text, got, want)
				}
			}
			if hits == 0 {
				t.Fatal("no text had a hit: the comparison shows nothing")
			}
		})
	}
}

func builtinSource(t *testing.T) string {
	l := moderation.DefaultWordList()
	var b strings.Builder
	for _, w := range l.Words {
		b.WriteString(w + "\n")
	}
	for _, w := range l.Allow {
		b.WriteString("!" + w + "\n")
	}
	return b.String()
}

// TestCompiledListMustMatchItsSource refuses a compiled list for any other text, and a damaged
// or truncated one, so that a function compiles the text instead.
func TestCompiledListMustMatchItsSource(t *testing.T) {
	src := []byte("scam\n加微信\n!scamp\n")
	l, rep, err := moderation.ParseWordList(strings.NewReader(string(src)))
	if err != nil {
		t.Fatal(err)
	}
	data := moderation.EncodeCompiled(moderation.Compile(l), src, rep)
	if m, _, err := moderation.LoadCompiled(data, src); err != nil || !m.Contains("s c a m") || m.Contains("scamp") {
		t.Fatalf("the compiled list of its own source: %v", err)
	}

	edited := []byte("scam\n加微信\n!scamp\nfraud\n")
	if _, _, err := moderation.LoadCompiled(data, edited); !errors.Is(err, moderation.ErrStale) {
		t.Errorf("another source: %v, want ErrStale", err)
	}
	for name, bad := range map[string][]byte{
		"empty":         nil,
		"not one":       []byte("scam\n"),
		"truncated":     data[:len(data)-9],
		"a changed bit": flip(data, len(data)-20),
		"longer":        append(append([]byte{}, data...), 0),
	} {
		if _, _, err := moderation.LoadCompiled(bad, src); err == nil || errors.Is(err, moderation.ErrStale) {
			t.Errorf("%s: %v, want an error other than ErrStale", name, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	b = append([]byte{}, b...)
	b[i] ^= 1
	return b
}
