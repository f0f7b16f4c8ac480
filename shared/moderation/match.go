package moderation

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Match is one occurrence of a banned word.
type Match struct {
	// Start and End are byte offsets in the original text: text[Start:End] runs from the first
	// character of the hit to the end of its last, separators in between included.
	Start, End int
	// Word is the banned word as listed.
	Word string
}

// Contains reports whether text contains a banned word. It stops at the first one and never
// allocates.
func (m *Matcher) Contains(text string) bool {
	from, may := m.mayHit(text)
	if !may {
		return false
	}
	_, hit := m.scan(text, from, nil, true)
	return hit
}

// Find appends the occurrences of banned words in text to dst and returns the extended slice.
// Hits are in the order of their end; hits that end together come longest first. Overlapping
// hits are all reported. Find allocates only to grow dst.
func (m *Matcher) Find(text string, dst []Match) []Match {
	from, may := m.mayHit(text)
	if !may {
		return dst
	}
	dst, _ = m.scan(text, from, dst, false)
	return dst
}

// Mask returns text with every character of every hit replaced by '*': one '*' per rune,
// separators inside a hit included, everything outside the hits untouched. It reports whether
// there was a hit; when there is none it returns text itself without allocating.
func (m *Matcher) Mask(text string) (masked string, hit bool) {
	from, may := m.mayHit(text)
	if !may {
		return text, false
	}
	var buf [8]Match
	hits, _ := m.scan(text, from, buf[:0], false)
	if len(hits) == 0 {
		return text, false
	}
	slices.SortFunc(hits, func(a, b Match) int { return cmp.Compare(a.Start, b.Start) })
	var sb strings.Builder
	sb.Grow(len(text))
	pos := 0
	for _, h := range hits {
		if h.End <= pos {
			continue
		}
		start := max(h.Start, pos)
		sb.WriteString(text[pos:start])
		for range utf8.RuneCountInString(text[start:h.End]) {
			sb.WriteByte('*')
		}
		pos = h.End
	}
	sb.WriteString(text[pos:])
	return sb.String(), true
}

// code returns the code of the rune starting at text[i] and the rune's width. Bytes that are not
// valid UTF-8 are one-byte runes of code 0.
func (m *Matcher) code(text string, i int) (uint32, int) {
	c, n := m.rawCode(text, i)
	if c&codeSingle != 0 && c&codeExpand == 0 {
		c &^= codeSingle
	}
	return c, n
}

// mayHit looks for the places where a banned word may start, and reports whether it found
// one, or met a character that needs the careful scan (a voiced sound mark, a rune that folds to
// several characters, or a one-character word). When it reports false, text certainly holds no
// banned word. When it reports true, no banned word starts before the byte offset from.
//
// Every occurrence of a word starts with the word's first three characters (two for a
// two-character word) with nothing but separators between them. mayHit decodes the text a chunk
// at a time into codes, without the separators; sieve tests each run of two and three codes
// against small bitmaps, and mayHit walks the trie from the root only where they let a word start.
func (m *Matcher) mayHit(text string) (from int, may bool) {
	var (
		buf  [chunk]uint32 // codes; the first two carried over from the previous chunk
		pos  [chunk]int    // where they start in text
		k, j = 2, 2        // buf[:k] is filled, buf[:j] is sieved
		i    int
	)
	for {
		k, i = m.fill(text, i, &buf, &pos, k)
		for j < k {
			var found int
			j, found = m.sieve(&buf, j, k)
			switch {
			case found&found3 != 0 && m.startsWord(text, &buf, &pos, j-2, k):
				return pos[j-2], true
			case found&found2 != 0 && m.startsWord(text, &buf, &pos, j-1, k):
				return pos[j-1], true
			}
			if found != 0 {
				j++
			}
		}
		if i < len(text) && k < chunk {
			// A rune fill leaves to us: two or four bytes, bad bytes, or a special code.
			c, n := m.rawCode(text, i)
			switch {
			case c == codeSep:
			case c < codeSep:
				buf[k], pos[k] = c, i
				k++
			default:
				return pos[k-2], true
			}
			i += n
			continue
		}
		if i >= len(text) {
			return 0, false
		}
		// The chunk is full: keep the last two codes as the context of the next.
		buf[0], buf[1], pos[0], pos[1] = buf[k-2], buf[k-1], pos[k-2], pos[k-1]
		k, j = 2, 2
	}
}

// chunk is the number of codes mayHit decodes at a time.
const chunk = 128

// What sieve found.
const (
	found3 = 1 << iota // a word of three or more characters may start two codes back
	found2             // a two-character word may start one code back
)

// fill decodes text from i on into buf and pos from k on, leaving out separators, until the
// buffer is full, the text ends, or a rune needs the caller: one of two or four bytes, bad bytes,
// or a code above codeSep. It returns the new k and i. Its loop makes no calls and keeps few
// variables, so that they stay in registers.
func (m *Matcher) fill(text string, i int, buf *[chunk]uint32, pos *[chunk]int, k int) (int, int) {
	for i < len(text) && k < chunk {
		var c uint32
		w := 1
		if b := uint32(text[i]); b < utf8.RuneSelf {
			c = m.ascii[b]
		} else if b-0xE0 < 0x10 && i+2 < len(text) {
			// Three bytes (CJK, kana, full-width forms), looked up by their bits.
			b1, b2 := uint32(text[i+1]), uint32(text[i+2])
			if (b1|b2<<8)&0xC0C0 != 0x8080 {
				break
			}
			c, w = m.blocks[m.lead3[(b&0x0F)<<6|b1&0x3F]+b2&0x3F], 3
		} else {
			break
		}
		if c > codeSep {
			break
		}
		buf[k], pos[k] = c, i
		if c != codeSep {
			k++
		}
		i += w
	}
	return k, i
}

// sieve tests the codes buf[j:k], with the two before as context, and returns at the first that
// may end the start of a word, or at k.
func (m *Matcher) sieve(buf *[chunk]uint32, j, k int) (int, int) {
	follow, twos, gate, mask := m.follow, m.twos, m.gate, m.gateMask
	p2, p1 := buf[j-2], buf[j-1]
	pair := follow[p2*2+p1/64%2]&(1<<(p1%64)) != 0
	for ; j < k; j++ {
		c := buf[j]
		found := 0
		if pair {
			// The last two codes may start a word: test the first three.
			if h := hash3(p2, p1, c) & mask; gate[h/64]&(1<<(h%64)) != 0 {
				found = found3
			}
		}
		row := p1*2 + c/64%2
		if pair = follow[row]&(1<<(c%64)) != 0; pair && twos[row]&(1<<(c%64)) != 0 {
			found |= found2
		}
		if found != 0 {
			return j, found
		}
		p2, p1 = p1, c
	}
	return k, 0
}

// rawCode returns the table code of the rune at text[i], flags included, and the rune's width.
func (m *Matcher) rawCode(text string, i int) (uint32, int) {
	if b := text[i]; b < utf8.RuneSelf {
		return m.ascii[b], 1
	}
	r, n := utf8.DecodeRuneInString(text[i:])
	return m.blocks[m.pages[r>>8]+uint32(r)&0xff], n
}

// startsWord walks the trie from the root over the codes buf[j:k], then over the text after
// them, and reports whether a banned word starts at code j, or a character that needs the
// careful scan comes first.
func (m *Matcher) startsWord(text string, buf *[chunk]uint32, pos *[chunk]int, j, k int) bool {
	da := m.da
	c := buf[j]
	if c == 0 || c > m.kb {
		return false
	}
	s := m.root[c]
	if s <= 0 {
		return s < 0
	}
	i := pos[j]
	for j++; ; j++ {
		if j < k {
			c, i = buf[j], pos[j]
		} else {
			// Past the decoded codes: decode the text after the last one.
			if j == k {
				_, n := m.code(text, i)
				i += n
			}
			for {
				if i >= len(text) {
					return false
				}
				var n int
				c, n = m.code(text, i)
				i += n
				if c != codeSep {
					break
				}
			}
			if c > codeSep {
				return true
			}
		}
		if c == 0 || c > m.kb {
			return false
		}
		t := da[s].base + int32(c)
		if uint(t) >= uint(len(da)) || da[t].check != s {
			return false
		}
		if s = t; da[s].out > 0 {
			return true
		}
	}
}

// sym is one folded character of the text.
type sym struct {
	code       uint32
	start, end int  // the bytes of the rune (or runes, for a kana and its sound mark) it came from
	sep        bool // separators came between the previous character and this one
}

// iter yields the folded characters of a text.
type iter struct {
	m        *Matcher
	text     string
	pos      int
	exp      []uint32 // the rest of a rune that folds to several characters
	expStart int
}

// next returns the next folded character, or false at the end of the text.
func (it *iter) next() (sym, bool) {
	if len(it.exp) > 0 {
		c := it.exp[0]
		it.exp = it.exp[1:]
		return sym{code: c, start: it.expStart, end: it.pos}, true
	}
	sep := false
	for it.pos < len(it.text) {
		start := it.pos
		c, n := it.m.code(it.text, start)
		it.pos += n
		switch {
		case c == codeSep || c == codeVoiced || c == codeSemiVoiced:
			sep = true // a sound mark that follows no kana is ignored too
			continue
		case c&codeExpand != 0:
			e := it.m.expand[c&^codeExpand]
			it.exp, it.expStart = e[1:], start
			return sym{code: e[0], start: start, end: it.pos, sep: sep}, true
		}
		// Sound marks are U+3099..U+309C (E3 82 99..9C) and U+FF9E..U+FF9F (EF BE 9E..9F).
		if it.pos < len(it.text) && (it.text[it.pos] == 0xE3 || it.text[it.pos] == 0xEF) {
			if mc, mn := it.m.code(it.text, it.pos); mc == codeVoiced || mc == codeSemiVoiced {
				if cc, ok := it.m.composed(it.text[start:it.pos], mc); ok {
					c = cc
					it.pos += mn
				}
			}
		}
		return sym{code: c, start: start, end: it.pos, sep: sep}, true
	}
	return sym{}, false
}

// composed returns the code of the kana s joined with a sound mark of the given code.
func (m *Matcher) composed(s string, mark uint32) (uint32, bool) {
	r, _ := utf8.DecodeRuneInString(s)
	var buf [1]rune
	rs := m.fold.runes(r, &buf)
	if len(rs) != 1 {
		return 0, false
	}
	mk := markVoiced
	if mark == codeSemiVoiced {
		mk = markSemiVoiced
	}
	c, ok := m.fold.compose(rs[0], mk)
	if !ok {
		return 0, false
	}
	return m.alpha[c], true
}

// ringSize is the number of folded characters scan remembers: enough for a banned word and for
// an allow entry that starts before it.
const ringSize = 2 * MaxWordRunes

// scan finds the banned words in text[from:], appending them to dst; from must be a point no
// banned word straddles. With first set it stops at the first hit. When a hit cannot be judged
// without the characters before from, it starts again from the beginning of text.
func (m *Matcher) scan(text string, from int, dst []Match, first bool) ([]Match, bool) {
	var ring [ringSize]sym
	it := iter{m: m, text: text, pos: from}
	var s int32
	hit := false
	n0 := len(dst)
	for k := 0; ; k++ {
		sy, ok := it.next()
		if !ok {
			break
		}
		ring[k%ringSize] = sy
		if c := sy.code; c == 0 || c > m.kb {
			s = 0
			continue
		}
		s = m.step(s, sy.code)
		if m.da[s].out == 0 {
			continue
		}
		for t := s; t != 0; t = m.dict[t] {
			p := m.da[t].out
			if p <= 0 {
				continue
			}
			pat := &m.pats[p-1]
			ok, behind := m.accept(pat, &ring, k, &it, from > 0)
			if behind {
				return m.scan(text, 0, dst[:n0], first)
			}
			if !ok {
				continue
			}
			hit = true
			if first {
				return dst, true
			}
			dst = append(dst, Match{Start: ring[(k-pat.n+1)%ringSize].start, End: sy.end, Word: pat.word})
		}
	}
	return dst, hit
}

// accept decides whether the banned word p, found at characters k-p.n+1..k, counts as a hit.
//
// Between two Latin, Greek or Cyrillic letters or digits of the word, separators count only when
// the word is spelled out consistently: every such gap has one ("s c a m") or none does ("scam").
// Gaps where the entry itself has a separator are free. A spelled-out word must not be glued to
// the letters around it, so "go keep" does not spell "ok". Last, a hit inside an occurrence of an
// allow entry that contains the word does not count.
//
// With partial set, ring does not start at the beginning of the text, and accept reports behind
// when it needs the characters before ring's first.
func (m *Matcher) accept(p *pattern, ring *[ringSize]sym, k int, it *iter, partial bool) (ok, behind bool) {
	a := k - p.n + 1
	if p.latin != 0 {
		spaced, tight := 0, 0
		for i := 1; i < p.n; i++ {
			if p.latin&(1<<i) == 0 || p.gaps&(1<<i) != 0 {
				continue
			}
			cur, prev := &ring[(a+i)%ringSize], &ring[(a+i-1)%ringSize]
			if cur.start == prev.start {
				continue // characters of one rune, such as ﬁ
			}
			if cur.sep {
				spaced++
			} else {
				tight++
			}
		}
		if spaced > 0 && tight > 0 {
			return false, false
		}
		if spaced > 0 {
			first := &ring[a%ringSize]
			if a == 0 && partial && m.wordish[first.code] {
				return false, true
			}
			if a > 0 && !first.sep && m.wordish[first.code] {
				if prev := &ring[(a-1+ringSize)%ringSize]; m.wordish[prev.code] && prev.start != first.start {
					return false, false
				}
			}
			if m.wordish[ring[k%ringSize].code] {
				la := *it
				if nx, ok := la.next(); ok && !nx.sep && m.wordish[nx.code] && nx.start != ring[k%ringSize].start {
					return false, false
				}
			}
		}
	}
	for i := range p.cover {
		cv := &p.cover[i]
		if a < cv.off && partial {
			return false, true
		}
		if m.covered(cv, ring, a, k, it) {
			return false, false
		}
	}
	return true, false
}

// covered reports whether the allow entry cv occurs around the banned word found at characters
// a..k, written without separators except where the entry has them.
func (m *Matcher) covered(cv *cover, ring *[ringSize]sym, a, k int, it *iter) bool {
	x := a - cv.off
	if x < 0 || x <= k-ringSize {
		return false
	}
	la := *it
	for i, c := range cv.codes {
		var sy sym
		if j := x + i; j <= k {
			sy = ring[j%ringSize]
		} else {
			var ok bool
			if sy, ok = la.next(); !ok {
				return false
			}
		}
		if sy.code != c || i > 0 && sy.sep && cv.gaps&(1<<i) == 0 {
			return false
		}
	}
	return true
}
