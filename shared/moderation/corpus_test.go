package moderation_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"github.com/uriba-live/uriba/shared/moderation"
)

var update = flag.Bool("update", false, "rewrite testdata/evasion.txt from the built-in word list")

// Thresholds of TestCorpus. Every generated evasion is caught today; the bar leaves room for one
// transformation in a hundred to stop working before the test fails.
const (
	minCatchRate    = 0.99
	maxFalseHitRate = 0.01
)

// evasionHeader documents how testdata/evasion.txt is made.
const evasionHeader = `# Evasion variants of the built-in word list, made by TestCorpus with -update.
# Each line: transformation <TAB> listed word <TAB> chat message. Every banned word goes through
# every transformation that changes it, and the variant is set in a carrier sentence of its
# script (Chinese, Japanese or English):
#   fullwidth  ASCII to full-width forms, kana to half-width katakana (ｶﾞ for ガ)
#   spaced     a space between characters
#   ideo       an ideographic space (U+3000) between characters
#   dotted     a full stop between characters
#   hyphen     a hyphen between characters, letters upper-cased ("S-C-A-M")
#   zwsp       a zero-width space (U+200B) between characters
#   zwj        a zero-width joiner (U+200D) and a word joiner (U+2060) between characters
#   emoji      an emoji between characters, cycling through a few
#   vs16       a variation selector (U+FE0F) after every character
#   case       letters in alternating case ("ScAm LiNk")
#   kana       hiragana and katakana swapped ("ぶす" for "ブス")
#   accent     Latin vowels with diacritics ("scám")
#   mixed      full-width forms and zero-width spaces together
#   shy        one soft hyphen (U+00AD) in one gap only
#   invisible  one character that renders as nothing in one gap only, cycling through zero-width
#              space and joiners, U+2060, U+FEFF, U+2062, bidi controls, U+FE0F, a tag character,
#              U+180E and a combining acute accent
`

// transformations are the evasions of testdata/evasion.txt, in order.
var transformations = []struct {
	name string
	f    func(string) string
}{
	{"fullwidth", func(w string) string { return mapRunes(w, toFullWidth) }},
	{"spaced", func(w string) string { return between(w, " ") }},
	{"ideo", func(w string) string { return between(w, "\u3000") }},
	{"dotted", func(w string) string { return between(w, ".") }},
	{"hyphen", func(w string) string { return between(strings.ToUpper(w), "-") }},
	{"zwsp", func(w string) string { return between(w, "\u200b") }},
	{"zwj", func(w string) string { return between(w, "\u200d\u2060") }},
	{"emoji", func(w string) string {
		emoji := []string{"😀", "🔥", "❤️", "👍🏻", "🇯🇵"}
		var b strings.Builder
		for i, r := range []rune(w) {
			if i > 0 {
				b.WriteString(emoji[i%len(emoji)])
			}
			b.WriteRune(r)
		}
		return b.String()
	}},
	{"vs16", func(w string) string { return mapRunes(w, func(r rune) string { return string(r) + "\ufe0f" }) }},
	{"case", func(w string) string {
		rs := []rune(w)
		for i := range rs {
			if i%2 == 0 {
				rs[i] = unicode.ToUpper(rs[i])
			}
		}
		return string(rs)
	}},
	{"kana", func(w string) string {
		return mapRunes(w, func(r rune) string {
			switch {
			case r >= 0x3041 && r <= 0x3096:
				return string(r + 0x60)
			case r >= 0x30A1 && r <= 0x30F6:
				return string(r - 0x60)
			}
			return string(r)
		})
	}},
	{"accent", func(w string) string {
		accents := map[rune]string{'a': "á", 'e': "è", 'i': "ï", 'o': "ô", 'u': "ü"}
		return mapRunes(w, func(r rune) string {
			if a, ok := accents[r]; ok {
				return a
			}
			return string(r)
		})
	}},
	{"mixed", func(w string) string { return between(mapRunes(w, toFullWidth), "\u200b") }},
	{"shy", func(w string) string { return inOneGap(w, "\u00ad") }},
	{"invisible", func(w string) string {
		invisible := []string{"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u2062", "\u202e", "\u2066",
			"\ufe0f", "\U000e0041", "\u180e", "\u0301"}
		sum := 0
		for _, r := range w {
			sum += int(r)
		}
		return inOneGap(w, invisible[sum%len(invisible)])
	}},
}

// inOneGap puts sep in the middle gap of the first part of w (before its first space), and
// nowhere else.
func inOneGap(w, sep string) string {
	rs := []rune(w)
	n := len(rs)
	if i := slices.Index(rs, ' '); i >= 0 {
		n = i
	}
	if n < 2 {
		return w
	}
	return string(rs[:n/2]) + sep + string(rs[n/2:])
}

func mapRunes(s string, f func(rune) string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(f(r))
	}
	return b.String()
}

// between puts sep between the characters of w, leaving its spaces alone.
func between(w, sep string) string {
	var b strings.Builder
	rs := []rune(w)
	for i, r := range rs {
		if i > 0 && r != ' ' && rs[i-1] != ' ' {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// toFullWidth turns ASCII into full-width forms and kana into half-width katakana.
func toFullWidth(r rune) string {
	switch {
	case r > ' ' && r < 0x7F:
		return width.Widen.String(string(r))
	case r >= 0x3041 && r <= 0x3096:
		r += 0x60 // hiragana → katakana, then on
		fallthrough
	case r >= 0x30A1 && r <= 0x30FC:
		var b strings.Builder
		for _, d := range norm.NFD.String(string(r)) {
			switch d {
			case 0x3099:
				b.WriteRune('ﾞ')
			case 0x309A:
				b.WriteRune('ﾟ')
			default:
				b.WriteString(width.Narrow.String(string(d)))
			}
		}
		return b.String()
	}
	return string(r)
}

// carrier sets a variant in a sentence of the word's script.
func carrier(word, variant string, i int) string {
	hasKana, hasHan := false, false
	for _, r := range word {
		hasKana = hasKana || unicode.In(r, unicode.Hiragana, unicode.Katakana)
		hasHan = hasHan || unicode.Is(unicode.Han, r)
	}
	switch {
	case hasKana:
		return []string{"配信で", "コメント欄に", "それって"}[i%3] + variant + []string{"って書いてあった", "とか言うな", "だよね"}[i%3]
	case hasHan:
		return []string{"主播说", "有人在评论里说", "别再"}[i%3] + variant + []string{"了吧", "，大家注意", "好吗"}[i%3]
	}
	return []string{"someone said ", "look: ", "stop posting "}[i%3] + variant + []string{" in chat", "!!", " please"}[i%3]
}

type evasion struct{ how, word, text string }

func generateEvasions() []evasion {
	var out []evasion
	for i, w := range moderation.DefaultWordList().Words {
		for _, tr := range transformations {
			v := tr.f(w)
			if v == w {
				continue // the transformation does not apply to this word
			}
			out = append(out, evasion{tr.name, w, carrier(w, v, i)})
		}
	}
	return out
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestCorpus measures the built-in list against testdata/evasion.txt (every variant must be found
// as its listed word) and testdata/clean.txt (ordinary chat, which must not be hit), and fails
// below the thresholds.
func TestCorpus(t *testing.T) {
	if *update {
		var b strings.Builder
		b.WriteString(evasionHeader)
		for _, e := range generateEvasions() {
			fmt.Fprintf(&b, "%s\t%s\t%s\n", e.how, e.word, e.text)
		}
		if err := os.WriteFile("testdata/evasion.txt", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := moderation.Compile(moderation.DefaultWordList())

	evasions := readLines(t, "testdata/evasion.txt")
	if len(evasions) < 200 {
		t.Fatalf("testdata/evasion.txt has %d variants, want at least 200", len(evasions))
	}
	caught := 0
	for _, l := range evasions {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			t.Fatalf("bad line in testdata/evasion.txt: %q", l)
		}
		found := false
		for _, h := range m.Find(f[2], nil) {
			found = found || h.Word == f[1]
		}
		if found {
			caught++
		} else {
			t.Logf("missed (%s) %q in %q", f[0], f[1], f[2])
		}
	}

	clean := readLines(t, "testdata/clean.txt")
	if len(clean) < 300 {
		t.Fatalf("testdata/clean.txt has %d lines, want at least 300", len(clean))
	}
	falseHits := 0
	for _, l := range clean {
		if hits := m.Find(l, nil); len(hits) > 0 {
			falseHits++
			t.Logf("false hit %v in %q", hits, l)
		}
	}

	catchRate := float64(caught) / float64(len(evasions))
	falseRate := float64(falseHits) / float64(len(clean))
	t.Logf("catch rate %.2f%% (%d/%d), false-positive rate %.2f%% (%d/%d)",
		100*catchRate, caught, len(evasions), 100*falseRate, falseHits, len(clean))
	if catchRate < minCatchRate {
		t.Errorf("catch rate %.2f%% is below %.0f%%", 100*catchRate, 100*minCatchRate)
	}
	if falseRate > maxFalseHitRate {
		t.Errorf("false-positive rate %.2f%% is above %.0f%%", 100*falseRate, 100*maxFalseHitRate)
	}
}
