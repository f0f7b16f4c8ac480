package moderation_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/uriba-live/uriba/shared/moderation"
)

// fuzzMatcher holds the built-in list and the table-test list together.
var fuzzMatcher = moderation.Compile(moderation.WordList{
	Words: append(moderation.DefaultWordList().Words, testList.Words...),
	Allow: append(moderation.DefaultWordList().Allow, testList.Allow...),
})

var fuzzSeeds = []string{
	"", "scam", "ｓｃａｍ", "S-C-A-M", "加 微 信", "加.微.信", "加\u200b微信", "ｶﾞｷ", "ﾊﾟﾊﾟ活",
	"か\u3099き", "\xff加微信\xfe", "加\xe4\xbf", "class ass", "死ねない死ね", "㍻", "①②", "s😀c😀a😀m",
	"was steady", "ｶ\u200bﾞ", "\u3099\u3099", "ﬁ", strings.Repeat("加微", 100) + "信",
	"㋕゛㋖", "ｶ ﾞ㋖", "🈂\u3099",
}

// checkSpans checks what FuzzFind and FuzzMask share: hits lie within the text, on rune
// boundaries, start and end on real characters, and Contains agrees with Find.
func checkSpans(t *testing.T, text string) []moderation.Match {
	hits := fuzzMatcher.Find(text, nil)
	boundary := make([]bool, len(text)+1) // where a rune starts, as range over a string decodes
	for i := range text {
		boundary[i] = true
	}
	boundary[len(text)] = true
	for _, h := range hits {
		if h.Start < 0 || h.End > len(text) || h.Start >= h.End {
			t.Fatalf("Find(%q): hit %v out of bounds", text, h)
		}
		if !boundary[h.Start] || !boundary[h.End] {
			t.Fatalf("Find(%q): hit %v not on rune boundaries", text, h)
		}
		if h.Word == "" {
			t.Fatalf("Find(%q): hit %v has no word", text, h)
		}
	}
	if c := fuzzMatcher.Contains(text); c != (len(hits) > 0) {
		t.Fatalf("Contains(%q) = %v, Find found %v", text, c, hits)
	}
	return hits
}

func FuzzFind(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkSpans(t, text)
	})
}

func FuzzMask(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		hits := checkSpans(t, text)
		masked, hit := fuzzMatcher.Mask(text)
		if hit != (len(hits) > 0) {
			t.Fatalf("Mask(%q) reports %v, Find found %v", text, hit, hits)
		}
		if utf8.RuneCountInString(masked) != utf8.RuneCountInString(text) {
			t.Fatalf("Mask(%q) = %q: rune count changed", text, masked)
		}
		// Outside the hits the text is unchanged; inside, every rune is '*'.
		inside := make([]bool, len(text)+1)
		for _, h := range hits {
			for i := h.Start; i < h.End; i++ {
				inside[i] = true
			}
		}
		var want strings.Builder
		for i := 0; i < len(text); {
			_, n := utf8.DecodeRuneInString(text[i:])
			if inside[i] {
				want.WriteByte('*')
			} else {
				want.WriteString(text[i : i+n])
			}
			i += n
		}
		if masked != want.String() {
			t.Fatalf("Mask(%q) = %q, want %q", text, masked, want.String())
		}
	})
}

// FuzzParseWordList reads arbitrary list files. Every line is accounted for exactly once in the
// report, kept entries are trimmed valid UTF-8 without line breaks, and a list that is accepted
// compiles into a Matcher that finds each of its banned words in the word itself, unless an
// allow entry shields it.
func FuzzParseWordList(f *testing.F) {
	b, err := os.ReadFile("default_words.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, s := range []string{
		"", "\n", "scam", "\uFEFF# c\r\nscam\r\n!class\r\n", "\\#1\n\\!bang\n!!!\n", "bad \xff line\nok\n",
		"s\u00adcam\nsc\u200bam\n", "   \t\n!\n#\n", strings.Repeat("長", moderation.MaxWordRunes+1), "a\rb\nc",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, rep, err := moderation.ParseWordList(strings.NewReader(string(data)))
		lines := strings.Count(string(data), "\n")
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		if rep.Lines != lines {
			t.Fatalf("report counts %d lines, the input has %d", rep.Lines, lines)
		}
		if sum := rep.Words + rep.Allow + rep.Blank + rep.Comments + rep.Duplicates + len(rep.Invalid) + len(rep.Unusable); sum != rep.Lines {
			t.Fatalf("report %+v accounts for %d of %d lines", rep, sum, rep.Lines)
		}
		if err != nil {
			if !errors.Is(err, moderation.ErrEmptyList) || len(l.Words) != 0 || rep.Words != 0 {
				t.Fatalf("error %v with %d words, report %+v", err, len(l.Words), rep)
			}
			return
		}
		if len(l.Words) != rep.Words || len(l.Allow) != rep.Allow {
			t.Fatalf("list of %d words and %d allow entries, report %+v", len(l.Words), len(l.Allow), rep)
		}
		for _, w := range append(append([]string(nil), l.Words...), l.Allow...) {
			if w == "" || !utf8.ValidString(w) || strings.Contains(w, "\n") || strings.TrimSpace(w) != w {
				t.Fatalf("entry %q kept", w)
			}
		}
		if len(l.Words) > 20 {
			return // compiling is the slow part: keep the fuzzer fast on big inputs
		}
		m := moderation.Compile(moderation.WordList{Words: l.Words})
		for _, w := range l.Words {
			if !m.Contains(w) {
				t.Fatalf("the Matcher of %q does not find %q in itself", l.Words, w)
			}
		}
	})
}
