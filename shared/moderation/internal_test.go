package moderation

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestFilterAgreesWithScan checks the fast path against the careful scan alone: mayHit must never
// miss a hit, and starting the careful scan where mayHit says must find the same hits as starting
// it at the beginning.
func TestFilterAgreesWithScan(t *testing.T) {
	words := []string{"加微信", "微信", "裏垢", "死ね", "ガキ", "scam", "scam link", "ass", "fuck", "刷单", "a", "傻", "くそ", "ｶﾞｷ", "殺すぞ", "パパ活", "ばかな", "ゴザ"}
	allow := []string{"class", "assist", "死ねない", "加微信群"}
	m := Compile(WordList{Words: words, Allow: allow})
	pieces := append(slices.Clone(words), allow...)
	pieces = append(pieces, " ", "　", ".", "-", "\u200b", "\ufe0f", "😀", "x", "y", "ｓ", "ｃ", "ａ", "ｍ", "ﾞ", "\u3099",
		"か", "が", "ｶ", "き", "微", "信", "加", "\xff", "\xe3\x81", "S", "C", "A", "M", "①", "㈱", "㍻", "ﬁ", "é", "s\u0301",
		"殺", "ｽ", "ｿ", "殺ｽｿ", "殺すそ", "ﾊﾟﾊ", "ﾊ", "ﾟ", "゛", "パ", "ぱ", "活", "ば", "か", "な", "\u200d", "\u00ad", "\U000e0041", "\u202e", "\u0301",
		"㋙", "㋚", "🈂", "㌀", "ゟ", "ｺﾞ", "㋙゛", "ｻ")
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 200000 {
		var b strings.Builder
		count := rng.IntN(12)
		if n%16 == 0 {
			count = rng.IntN(400) // past a chunk of the fast path
		}
		for range count {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(4) == 0 && len(p) > 1 {
				rs := []rune(p)
				p = string(rs[rng.IntN(len(rs)):])
			}
			b.WriteString(p)
		}
		text := b.String()
		want, _, _, _ := m.scan(text, 0, nil, false, 0)
		got := m.Find(text, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: Find(%q) = %v, the careful scan alone finds %v", n, text, got, want)
		}
		if c := m.Contains(text); c != (len(want) > 0) {
			t.Fatalf("case %d: Contains(%q) = %v, the careful scan alone finds %v", n, text, c, want)
		}
	}
}

// BenchmarkFolding measures building the shared folding tables, which the first Compile or
// ParseWordList of a process pays for.
func BenchmarkFolding(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		buildFolding()
	}
}

// TestClassesAgreeWithThePredicates holds the sets buildFolding uses to the predicates they stand
// for, for every rune they cover.
func TestClassesAgreeWithThePredicates(t *testing.T) {
	c := newClasses()
	for r := rune(0); r < tableLimit; r++ {
		if got, want := c.invisible.has(r), isInvisible(r); got != want {
			t.Fatalf("U+%04X: invisible %v, want %v", r, got, want)
		}
		if got, want := c.isSeparator(r), isSeparator(r); got != want {
			t.Fatalf("U+%04X: separator %v, want %v", r, got, want)
		}
		if got, want := c.foldLetter(r), foldLetter(r); got != want {
			t.Fatalf("U+%04X: folds to U+%04X, want U+%04X", r, got, want)
		}
	}
}

// TestSoundMarksJoinWhateverFoldsToKana writes every rune that folds to a kana a sound mark joins
// (kana, half-width and circled katakana, squared ones) with every form of the sound marks, as a
// list entry and as text: the Matcher must read both the same way.
func TestSoundMarksJoinWhateverFoldsToKana(t *testing.T) {
	f := theFolding()
	type entry struct {
		word string
		end  int // where its hit in itself ends
	}
	var entries []entry
	for r := rune(0); r < tableLimit; r++ {
		var buf [1]rune
		rs := f.runes(r, &buf)
		if len(rs) != 1 {
			continue
		}
		_, voiced := f.compose(rs[0], markVoiced)
		_, semiVoiced := f.compose(rs[0], markSemiVoiced)
		if !voiced && !semiVoiced {
			continue
		}
		for _, mk := range []string{"\u3099", "\u309a", "\u309b", "\u309c", "\uff9e", "\uff9f"} {
			w := string(r) + mk
			end := len(w)
			if _, ok := f.compose(rs[0], markOf([]rune(mk)[0])); !ok {
				end -= len(mk) // a mark that does not join the kana is a separator after it
			}
			entries = append(entries, entry{w, end}, entry{"x" + string(r) + " " + mk + "y", len(w) + 3})
		}
	}
	if len(entries) < 6*2*100 {
		t.Fatalf("only %d entries", len(entries))
	}
	var words []string
	for _, e := range entries {
		words = append(words, e.word)
	}
	m := Compile(WordList{Words: words})
	for _, e := range entries {
		fw, _ := foldWord(f, e.word)
		hits := m.Find(e.word, nil)
		found := slices.ContainsFunc(hits, func(h Match) bool {
			fh, _ := foldWord(f, h.Word)
			return h.Start == 0 && h.End == e.end && slices.Equal(fh.runes, fw.runes)
		})
		if !found {
			t.Errorf("%q (folded %q) is not found in itself: %v", e.word, string(fw.runes), hits)
		}
	}
}
