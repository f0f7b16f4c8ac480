package moderation

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// foldSeeds are texts where folding is easy to get wrong: compatibility forms, sound marks,
// invisible characters, runes that fold to several characters, bad bytes.
var foldSeeds = []string{
	"", "scam", "ＳＣＡＭ", "s\u00adcam", "sc\u200bam", "sca\u0301m", "ｶﾞｷ", "か\u3099き", "か゛き", "ｶ\u200bﾞｷ",
	"㍻", "①②", "ﬁ", "ß", "İstanbul", "Ǆ", "加\ufe0f微\U000e0041信", "\u3164\u115f", "\xff\xfe", "s😀c😀a😀m",
	"\u0600\u0661", "\u202escam\u202c", "\u180e", "ﾞ", "\u3099\u3099", "㋕゛き", "🈂 ﾟ", "㌀\u3099",
}

// invisibleSample is a few characters that render as nothing, for FuzzFold to insert.
var invisibleSample = []string{"\u200b", "\u00ad", "\u2060", "\ufeff", "\u202e", "\ufe0f", "\U000e0041", "\u180e", "\u0301", "\u034f"}

// FuzzFold checks the text folding on any string: folded characters are never separators,
// invisible characters or sound marks; folding is idempotent; inserting a character that
// renders as nothing anywhere changes nothing; and a Matcher built from a word a list may hold
// finds it in itself.
func FuzzFold(f *testing.F) {
	for i, s := range foldSeeds {
		f.Add(s, uint8(i))
	}
	fo := theFolding()
	f.Fuzz(func(t *testing.T, s string, pick uint8) {
		fw, ok := foldWord(fo, s)
		for _, r := range fw.runes {
			var buf [1]rune
			if got := fo.runes(r, &buf); len(got) != 1 || got[0] != r || markOf(r) != markNone {
				t.Fatalf("foldWord(%q) = %q: %U does not fold to itself (%q)", s, string(fw.runes), r, string(got))
			}
		}
		if !ok {
			return
		}
		again, ok2 := foldWord(fo, string(fw.runes))
		if !ok2 || !slices.Equal(again.runes, fw.runes) {
			t.Fatalf("folding %q twice gives %q, once %q", s, string(again.runes), string(fw.runes))
		}
		// Insert an invisible character at a rune boundary.
		inv := invisibleSample[int(pick)%len(invisibleSample)]
		at := 0
		if n := utf8.RuneCountInString(s); n > 0 {
			for k := int(pick) % (n + 1); k > 0; k-- {
				_, w := utf8.DecodeRuneInString(s[at:])
				at += w
			}
		}
		hidden := s[:at] + inv + s[at:]
		if fh, _ := foldWord(fo, hidden); !slices.Equal(fh.runes, fw.runes) || fh.gaps != fw.gaps {
			t.Fatalf("folding %q gives %q gaps %b; with %q inserted, %q gaps %b",
				s, string(fw.runes), fw.gaps, inv, string(fh.runes), fh.gaps)
		}
		if strings.ContainsRune(s, utf8.RuneError) || !writable(s) {
			return // no list entry: ParseWordList refuses it
		}
		m := Compile(WordList{Words: []string{s}})
		if !m.Contains(s) || !m.Contains(hidden) {
			t.Fatalf("a Matcher of %q does not find it in %q or %q", s, s, hidden)
		}
	})
}
