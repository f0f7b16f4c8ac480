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
	from, may := m.mayHit(text, 0)
	if !may {
		return false
	}
	_, hit, _, behind := m.scan(text, from, nil, true, 0)
	if behind {
		_, hit, _, _ = m.scan(text, 0, nil, true, 0)
	}
	return hit
}

// Find appends the occurrences of banned words in text to dst and returns the extended slice.
// Hits are in the order of their end; hits that end together come longest first. Overlapping
// hits are all reported. Find allocates only to grow dst.
func (m *Matcher) Find(text string, dst []Match) []Match {
	orig := len(dst)
	// The filter and the careful scan take turns: the scan runs from where a word may start
	// until the automaton has been idle for a while, then the filter goes on from there.
	for at := 0; at < len(text); {
		from, may := m.mayHit(text, at)
		if !may {
			break
		}
		var behind bool
		dst, _, at, behind = m.scan(text, from, dst, false, idleSymbols)
		if behind {
			dst, _, _, _ = m.scan(text, 0, dst[:orig], false, 0)
			break
		}
	}
	return dst
}

// idleSymbols is how many characters the careful scan must read within one step of the root of
// the automaton, after its last hit, before Find hands the rest of the text back to the filter.
const idleSymbols = 8

// Mask returns text with every character of every hit replaced by '*': one '*' per rune,
// separators inside a hit included, everything outside the hits untouched. It reports whether
// there was a hit; when there is none it returns text itself without allocating.
func (m *Matcher) Mask(text string) (masked string, hit bool) {
	var buf [8]Match
	hits := m.Find(text, buf[:0])
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
// banned word from byte offset at on. When it reports true, no banned word starts between at and
// the byte offset from. No banned word may straddle at.
//
// Every occurrence of a word starts with the word's first three characters (two for a
// two-character word) with nothing but separators between them. mayHit decodes the text a chunk
// at a time into codes, without the separators; sieve tests each run of two and three codes
// against small bitmaps, and mayHit walks the trie from the root only where they let a word start.
func (m *Matcher) mayHit(text string, at int) (from int, may bool) {
	if uint64(len(text)) >= 1<<32 {
		return at, true // positions would not fit the buffer: scan carefully
	}
	var (
		buf  [chunk]uint64 // start<<32 | code; the first three carried over from the previous chunk
		k, j = 3, 3        // buf[:k] is filled, buf[:j] is sieved
		i    = at
	)
	buf[0], buf[1], buf[2] = uint64(at)<<32, uint64(at)<<32, uint64(at)<<32 // no character
	for {
		k, i = m.fill(text, i, &buf, k)
		for j < k {
			var found int
			j, found = m.sieve(&buf, j, k)
			switch {
			case found&found3 != 0 && m.startsWord(text, &buf, j-2, k):
				return int(buf[j-2] >> 32), true
			case found&found2 != 0 && m.startsWord(text, &buf, j-1, k):
				return int(buf[j-1] >> 32), true
			}
			if found != 0 {
				j++
			}
		}
		if i < len(text) && k < chunk {
			// A rune fill leaves to us: two or four bytes, bad bytes, or a special code.
			c, n := m.rawCode(text, i)
			switch {
			case c == codeSep || c == codeInvisible:
			case c < codeSep:
				buf[k] = uint64(i)<<32 | uint64(c)
				k++
			default:
				// A sound mark may change the last character, so every test that saw it is void.
				return int(buf[k-3] >> 32), true
			}
			i += n
			continue
		}
		if i >= len(text) {
			return 0, false
		}
		// The chunk is full: keep the last three codes as the context of the next.
		copy(buf[:3], buf[k-3:k])
		k, j = 3, 3
	}
}

// chunk is the number of codes mayHit decodes at a time.
const chunk = 128

// What sieve found.
const (
	found3 = 1 << iota // a word of three or more characters may start two codes back
	found2             // a two-character word may start one code back
)

// fill decodes text from i on into buf from k on, as start<<32 | code, leaving out separators
// and invisible characters, until the buffer is full, the text ends, or a rune needs the caller:
// one of two or four bytes, bad bytes, or a code above codeInvisible. It returns the new k and i. Its loop makes no calls and
// keeps few variables, so that they stay in registers.
func (m *Matcher) fill(text string, i int, buf *[chunk]uint64, k int) (int, int) {
	ascii, blocks, lead3 := &m.ascii, m.blocks, m.lead3
	for i < len(text) && k < chunk {
		var c uint32
		w := 1
		if b := uint32(text[i]); b < utf8.RuneSelf {
			c = ascii[b]
		} else if b-0xE0 < 0x10 && i+2 < len(text) {
			// Three bytes (CJK, kana, full-width forms), looked up by their bits.
			b1, b2 := uint32(text[i+1]), uint32(text[i+2])
			if (b1|b2<<8)&0xC0C0 != 0x8080 {
				break
			}
			c, w = blocks[lead3[(b&0x0F)<<6|b1&0x3F]+b2&0x3F], 3
		} else {
			break
		}
		if c > codeInvisible {
			break
		}
		buf[k] = uint64(i)<<32 | uint64(c)
		if c < codeSep {
			k++
		}
		i += w
	}
	return k, i
}

// sieve tests the codes buf[j:k], with the two before as context, and returns at the first that
// may end the start of a word, or at k.
func (m *Matcher) sieve(buf *[chunk]uint64, j, k int) (int, int) {
	pairs := m.pairs
	p2, p1 := uint32(buf[j-2]), uint32(buf[j-1])
	pair := pairs[(p2*2+p1/64%2)*2]&(1<<(p1%64)) != 0
	for ; j < k; j++ {
		c := uint32(buf[j])
		found := 0
		if pair {
			// The last two codes may start a word: test the first three.
			if h := hash3(p2, p1, c) & m.gateMask; m.gate[h/64]&(1<<(h%64)) != 0 {
				found = found3
			}
		}
		row := (p1*2 + c/64%2) * 2
		if pair = pairs[row]&(1<<(c%64)) != 0; pair && pairs[row+1]&(1<<(c%64)) != 0 {
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
	b := uint32(text[i])
	if b < utf8.RuneSelf {
		return m.ascii[b], 1
	}
	if b-0xE0 < 0x10 && i+2 < len(text) {
		b1, b2 := uint32(text[i+1]), uint32(text[i+2])
		if (b1|b2<<8)&0xC0C0 == 0x8080 {
			if c := m.blocks[m.lead3[(b&0x0F)<<6|b1&0x3F]+b2&0x3F]; c != codeInvalid {
				return c, 3
			}
		}
	}
	r, n := utf8.DecodeRuneInString(text[i:])
	return m.blocks[m.pages[r>>8]+uint32(r)&0xff], n
}

// startsWord walks the trie from the root over the codes buf[j:k-1], then over the text from
// the last code on (a sound mark after it may still change it), and reports whether a banned
// word starts at code j, or a character that needs the careful scan comes first. j < k-1.
func (m *Matcher) startsWord(text string, buf *[chunk]uint64, j, k int) bool {
	da := m.da
	var s int32
	step := func(c uint32) (done, hit bool) {
		if c == 0 || c > m.kb {
			return true, false
		}
		if s == 0 {
			s = m.root[c]
			return s <= 0, s < 0
		}
		t := da[s].base + int32(c)
		if uint(t) >= uint(len(da)) || da[t].check != s {
			return true, false
		}
		s = t
		return da[s].out > 0, da[s].out > 0
	}
	for ; j < k-1; j++ {
		if done, hit := step(uint32(buf[j])); done {
			return hit
		}
	}
	for i := int(buf[k-1] >> 32); i < len(text); {
		c, n := m.code(text, i)
		i += n
		switch {
		case c == codeSep || c == codeInvisible:
			continue
		case c > codeSep:
			return true
		}
		if done, hit := step(c); done {
			// A sound mark after the character may still make it the one the word has.
			return hit || m.markFollows(text, i)
		}
	}
	return false
}

// markFollows reports whether the next character of text from i on, past invisible ones, is one
// of those that need the careful scan, such as a sound mark that joins the character before.
func (m *Matcher) markFollows(text string, i int) bool {
	for i < len(text) {
		c, n := m.code(text, i)
		if c != codeInvisible {
			return c > codeSep
		}
		i += n
	}
	return false
}

// sym is one folded character of the text.
type sym struct {
	code  uint32
	sep   bool // separators came between the previous character and this one
	start int  // where its rune starts; it ends where the iterator stands after returning it
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
		return sym{code: c, start: it.expStart}, true
	}
	sep := false
	for it.pos < len(it.text) {
		start := it.pos
		c, n := it.m.code(it.text, start)
		it.pos += n
		switch {
		case c == codeInvisible:
			continue // removed: it neither joins nor separates
		case c == codeSep || c == codeVoiced || c == codeSemiVoiced:
			sep = true // a sound mark that follows no kana is ignored too
			continue
		case c&codeExpand != 0:
			e := it.m.expand[c&^codeExpand]
			it.exp, it.expStart = e[1:], start
			return sym{code: e[0], start: start, sep: sep}, true
		}
		if k := &it.m.kana[c]; k[0] != noCompose || k[1] != noCompose {
			// A sound mark after a kana, even past separators, makes one character with it. The
			// kana is known by its code, whatever rune it was folded from, as foldWord knows it.
			j := it.pos
			for j < len(it.text) {
				mc, mn := it.m.code(it.text, j)
				if mc == codeVoiced || mc == codeSemiVoiced {
					if cc := k[mc-codeVoiced]; cc != noCompose {
						c, it.pos = cc, j+mn
					}
					break
				}
				if mc != codeSep && mc != codeInvisible {
					break
				}
				j += mn
			}
		}
		return sym{code: c, start: start, sep: sep}, true
	}
	return sym{}, false
}

// ringSize is the number of folded characters scan remembers: enough for a banned word and for
// an allow entry that starts before it.
const ringSize = 2 * MaxWordRunes

// scan finds the banned words in text[from:], appending them to dst; from must be a point no
// banned word straddles. With first set it stops at the first hit. With idle > 0 it stops once
// the automaton has stayed within one step of its root for idle characters since the start or
// the last hit, and returns in next where it stopped: no banned word straddles that point.
// Otherwise next is len(text). It reports behind, having stopped, when a hit cannot be judged without the
// characters before from; from 0 it never does.
func (m *Matcher) scan(text string, from int, dst []Match, first bool, idle int) (out []Match, hit bool, next int, behind bool) {
	var ring [ringSize]sym
	it := iter{m: m, text: text, pos: from}
	var s int32
	quiet := 0
	for k := 0; ; k++ {
		sy, ok := it.next()
		if !ok {
			break
		}
		end := it.pos
		ring[k%ringSize] = sy
		if c := sy.code; c == 0 || c > m.kb {
			s = 0
		} else {
			s = m.step(s, c)
		}
		// At the root or one of its children, no word in progress started before this
		// character: the filter may take over from its start.
		if s == 0 || m.da[s].check == 0 {
			if quiet++; idle > 0 && quiet >= idle && len(it.exp) == 0 {
				return dst, hit, sy.start, false
			}
		} else {
			quiet = 0
		}
		if s == 0 || m.da[s].out == 0 {
			continue
		}
		for t := s; t != 0; t = m.dict[t] {
			p := m.da[t].out
			if p <= 0 {
				continue
			}
			pat := &m.pats[p-1]
			ok, back := m.accept(pat, &ring, k, &it, from > 0)
			if back {
				return dst, hit, len(text), true
			}
			if !ok {
				continue
			}
			hit, quiet = true, 0
			if first {
				return dst, true, len(text), false
			}
			dst = append(dst, Match{Start: ring[(k-pat.n+1)%ringSize].start, End: end, Word: pat.word})
		}
	}
	return dst, hit, len(text), false
}

// accept decides whether the banned word p, found at characters k-p.n+1..k, counts as a hit.
//
// Between two Latin, Greek or Cyrillic letters or digits of the word, separators count only when
// each part of the entry (the parts its own separators delimit) is spelled out consistently:
// every such gap has one ("s c a m") or none does ("scam"). The entry's own gaps are free. A
// spelled-out part must not be glued to the letters around the hit, so "go keep" does not spell
// "ok". Last, a hit inside an occurrence of an allow entry that contains the word does not count.
//
// With partial set, ring does not start at the beginning of the text, and accept reports behind
// when it needs the characters before ring's first.
func (m *Matcher) accept(p *pattern, ring *[ringSize]sym, k int, it *iter, partial bool) (ok, behind bool) {
	a := k - p.n + 1
	if p.latin != 0 {
		// Each part of the entry, between the entry's own separators, is judged alone.
		var spaced, tight int
		firstSpaced, lastSpaced, firstPart := false, false, true
		for i := 1; i <= p.n; i++ {
			if i == p.n || p.gaps&(1<<i) != 0 {
				if spaced > 0 && tight > 0 {
					return false, false
				}
				if firstPart {
					firstSpaced, firstPart = spaced > 0, false
				}
				lastSpaced = spaced > 0
				spaced, tight = 0, 0
				continue
			}
			if p.latin&(1<<i) == 0 {
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
		// A spelled-out part must not be glued to the letters around the hit.
		if first := &ring[a%ringSize]; firstSpaced && m.wordish[first.code] {
			if a == 0 && partial {
				return false, true
			}
			if prev := &ring[(a-1+ringSize)%ringSize]; a > 0 && !first.sep && m.wordish[prev.code] && prev.start != first.start {
				return false, false
			}
		}
		if last := &ring[k%ringSize]; lastSpaced && m.wordish[last.code] {
			la := *it
			if nx, ok := la.next(); ok && !nx.sep && m.wordish[nx.code] && nx.start != last.start {
				return false, false
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
