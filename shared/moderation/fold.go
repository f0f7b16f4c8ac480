package moderation

import (
	"maps"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// tableLimit bounds the runes whose folding is tabulated: the Basic Multilingual Plane, the
// Supplementary Multilingual Plane (emoji) and the Supplementary Ideographic Plane. Runes above it
// are folded by foldBig.
const tableLimit = 0x30000

// Voiced sound marks. The combining forms, the spacing forms and the half-width forms all turn
// the kana right before them into its voiced (dakuten) or semi-voiced (handakuten) form.
const (
	markNone = iota
	markVoiced
	markSemiVoiced
)

// folding holds the rune folding shared by every Matcher. It is built once, on first use, from
// the Unicode tables of the standard library and golang.org/x/text.
type folding struct {
	sep     []uint64         // bit r is set when rune r is a separator or invisible
	ignore  []uint64         // bit r is set when rune r is invisible: removed, not a separator
	special []uint64         // bit r is set when rune r does not fold to itself
	folds   map[rune][]rune  // the folded runes of each special rune that is not a separator
	voiced  [2]map[rune]rune // folded kana → its folded voiced and semi-voiced form
	takers  []rune           // the folded kana a sound mark joins: the keys of voiced, increasing
}

var (
	foldOnce sync.Once
	fold     *folding
)

// theFolding returns the shared folding tables, building them on first use.
func theFolding() *folding {
	foldOnce.Do(func() { fold = buildFolding() })
	return fold
}

func buildFolding() *folding {
	f := &folding{
		sep:     make([]uint64, tableLimit/64),
		ignore:  make([]uint64, tableLimit/64),
		special: make([]uint64, tableLimit/64),
		folds:   make(map[rune][]rune),
	}
	cl := newClasses()
	var buf [utf8.UTFMax]byte
	for r := rune(0); r < tableLimit; r++ {
		if markOf(r) != markNone {
			f.special[r/64] |= 1 << (r % 64)
			continue
		}
		if r == utf8.RuneError || (r >= 0xD800 && r <= 0xDFFF) {
			// U+FFFD stands for undecodable bytes: a real character that matches nothing.
			continue
		}
		if cl.invisible.has(r) {
			f.special[r/64] |= 1 << (r % 64)
			f.sep[r/64] |= 1 << (r % 64)
			f.ignore[r/64] |= 1 << (r % 64)
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		var out []rune
		if norm.NFKC.Properties(buf[:n]).Decomposition() != nil {
			// Compatibility characters such as ㈱, ① or ™ fold to the letters they stand for.
			for _, y := range norm.NFKC.String(string(r)) {
				if cl.isSeparator(y) || markOf(y) != markNone {
					continue
				}
				out = append(out, cl.foldLetter(y))
			}
			if len(out) == 1 && out[0] == r {
				continue
			}
		} else if cl.separator.has(r) {
			out = nil
		} else if y := cl.foldLetter(r); y != r {
			out = []rune{y}
		} else {
			continue
		}
		f.special[r/64] |= 1 << (r % 64)
		if len(out) == 0 {
			f.sep[r/64] |= 1 << (r % 64)
			continue
		}
		f.folds[r] = out
	}
	f.voiced = [2]map[rune]rune{make(map[rune]rune), make(map[rune]rune)}
	for i, mark := range []rune{0x3099, 0x309A} {
		for r := rune(0x3040); r < 0x3100; r++ {
			c := []rune(norm.NFC.String(string(r) + string(mark)))
			if len(c) != 1 {
				continue
			}
			base, composed := f.single(r), f.single(c[0])
			if _, ok := f.voiced[i][base]; !ok && base != composed {
				f.voiced[i][base] = composed
			}
		}
	}
	for _, v := range f.voiced {
		f.takers = slices.AppendSeq(f.takers, maps.Keys(v))
	}
	slices.Sort(f.takers)
	f.takers = slices.Compact(f.takers)
	return f
}

// runeSet is a set of runes below tableLimit, one bit each.
type runeSet []uint64

// newRuneSet returns the set of the runes below tableLimit in the tables.
func newRuneSet(tabs ...*unicode.RangeTable) runeSet {
	s := make(runeSet, tableLimit/64)
	for _, t := range tabs {
		for _, g := range t.R16 {
			for r := rune(g.Lo); r <= rune(g.Hi); r += rune(g.Stride) {
				s.add(r)
			}
		}
		for _, g := range t.R32 {
			for r := rune(g.Lo); r <= rune(g.Hi) && r < tableLimit; r += rune(g.Stride) {
				s.add(r)
			}
		}
	}
	return s
}

func (s runeSet) add(r rune)      { s[r/64] |= 1 << (r % 64) }
func (s runeSet) has(r rune) bool { return s[r/64]&(1<<(r%64)) != 0 }

// classes holds isInvisible, isSeparator and the script test of foldLetter for the runes below
// tableLimit as sets, built from the Unicode tables in one pass each rather than looked up rune by
// rune: buildFolding classifies every rune below tableLimit.
type classes struct {
	invisible, separator, lgc runeSet
}

func newClasses() *classes {
	c := &classes{
		invisible: newRuneSet(unicode.Cf, unicode.Mn, unicode.Me, unicode.Variation_Selector,
			unicode.Other_Default_Ignorable_Code_Point),
		separator: newRuneSet(unicode.Z, unicode.P, unicode.S, unicode.Cc, unicode.Cf, unicode.Co,
			unicode.Mn, unicode.Me),
		lgc: newRuneSet(unicode.Latin, unicode.Greek, unicode.Cyrillic),
	}
	pcm := newRuneSet(unicode.Prepended_Concatenation_Mark)
	for i := range c.invisible {
		c.invisible[i] &^= pcm[i]
	}
	// The cases isSeparator adds to the tables.
	for _, r := range []rune{0x115F, 0x1160, 0x3164, 0xFFA0} {
		c.separator.add(r)
	}
	for r := rune(0x1F000); r < 0x1FC00; r++ {
		if !unicode.In(r, unicode.L, unicode.N) {
			c.separator.add(r)
		}
	}
	return c
}

// isSeparator is isSeparator(r).
func (c *classes) isSeparator(r rune) bool {
	if r < 0 || r >= tableLimit {
		return isSeparator(r)
	}
	return c.separator.has(r)
}

// foldLetter is foldLetter(r).
func (c *classes) foldLetter(r rune) rune {
	return foldLetterIn(r, func(r rune) bool {
		if r < 0 || r >= tableLimit {
			return unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
		}
		return c.lgc.has(r)
	})
}

// single returns the fold of r when r folds to exactly one rune, and r itself otherwise.
func (f *folding) single(r rune) rune {
	if r < 0 || r >= tableLimit || f.special[r/64]&(1<<(r%64)) == 0 {
		return r
	}
	if out := f.folds[r]; len(out) == 1 {
		return out[0]
	}
	return r
}

// runes returns the folded form of r: nil for separators and voiced marks, else one or more runes.
// The result must not be modified.
func (f *folding) runes(r rune, buf *[1]rune) []rune {
	if r >= 0 && r < tableLimit {
		if f.special[r/64]&(1<<(r%64)) == 0 {
			buf[0] = r
			return buf[:]
		}
		return f.folds[r]
	}
	if isBigSeparator(r) {
		return nil
	}
	buf[0] = foldLetter(r)
	return buf[:]
}

// invisible reports whether r renders as nothing, and so is removed from the text rather than
// read as a separator. r must not be a voiced sound mark.
func (f *folding) invisible(r rune) bool {
	if r >= 0 && r < tableLimit {
		return f.ignore[r/64]&(1<<(r%64)) != 0
	}
	return isBigInvisible(r)
}

// compose returns the voiced or semi-voiced form of the folded kana k, if there is one.
func (f *folding) compose(k rune, mark int) (rune, bool) {
	if mark == markNone {
		return 0, false
	}
	c, ok := f.voiced[mark-1][k]
	return c, ok
}

// markOf tells whether r is a voiced or semi-voiced sound mark, in any of its forms.
func markOf(r rune) int {
	switch r {
	case 0x3099, 0x309B, 0xFF9E:
		return markVoiced
	case 0x309A, 0x309C, 0xFF9F:
		return markSemiVoiced
	}
	return markNone
}

// isInvisible reports whether r renders as nothing on its own, or only changes how the
// characters around it render: the format characters (category Cf: zero-width space and joiners,
// U+2060 word joiner, U+00AD soft hyphen, U+FEFF, invisible operators, bidi controls, tags,
// the Mongolian vowel separator), the other default-ignorable code points (variation selectors,
// the combining grapheme joiner, Hangul fillers) and the combining marks, which belong to the
// letter before them. Such a character in a word does not split it: "s\u00adcam" reads as "scam".
// The prepended concatenation marks, format characters that show as signs (U+0600), are not
// invisible.
func isInvisible(r rune) bool {
	if unicode.Is(unicode.Prepended_Concatenation_Mark, r) {
		return false
	}
	return unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me, unicode.Variation_Selector,
		unicode.Other_Default_Ignorable_Code_Point)
}

// isBigInvisible is isInvisible for runes at or above tableLimit: plane 14's tags and variation
// selectors, all default-ignorable.
func isBigInvisible(r rune) bool {
	return r >= 0xE0000 && r < 0xE1000
}

// isSeparator reports whether r is whitespace, punctuation, a symbol (emoji included), a control
// or format character, a combining mark (variation selectors included), a private-use character,
// an invisible filler, or an unassigned code point among the emoji blocks.
func isSeparator(r rune) bool {
	switch {
	case r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0: // Hangul fillers
		return true
	case r >= 0xE0000 && r < 0xE1000: // tags and variation selectors supplement
		return true
	case r >= 0x1F000 && r < 0x1FC00 && !unicode.In(r, unicode.L, unicode.N):
		return true
	}
	return unicode.In(r, unicode.Z, unicode.P, unicode.S, unicode.Cc, unicode.Cf, unicode.Co,
		unicode.Mn, unicode.Me)
}

// foldLetter folds the case of r, strips the diacritics of Latin, Greek and Cyrillic letters, and
// turns katakana into hiragana.
func foldLetter(r rune) rune {
	return foldLetterIn(r, func(r rune) bool { return unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic) })
}

// foldLetterIn is foldLetter with the test for Latin, Greek and Cyrillic given.
func foldLetterIn(r rune, latinGreekCyrillic func(rune) bool) rune {
	r = unicode.ToLower(unicode.ToUpper(r))
	if r >= 0x80 && latinGreekCyrillic(r) {
		d := []rune(norm.NFD.String(string(r)))
		if len(d) > 1 {
			stripped := true
			for _, m := range d[1:] {
				if !unicode.Is(unicode.Mn, m) {
					stripped = false
				}
			}
			if stripped {
				r = d[0]
			}
		}
	}
	switch {
	case r >= 0x30A1 && r <= 0x30F6: // katakana ァ..ヶ
		r -= 0x60
	case r == 0x30FD || r == 0x30FE: // katakana iteration marks
		r -= 0x60
	}
	return r
}

// isWordish reports whether the folded rune r belongs to a script that separates words with
// spaces: Latin, Greek, Cyrillic letters and ASCII digits.
func isWordish(r rune) bool {
	if r < 0x80 {
		return r >= '0' && r <= '9' || r >= 'a' && r <= 'z'
	}
	return unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
}
