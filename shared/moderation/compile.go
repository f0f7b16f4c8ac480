package moderation

import (
	"cmp"
	"math/bits"
	"slices"
	"unicode"
	"unicode/utf8"
)

// MaxWordRunes is the longest entry a Matcher accepts, counted in folded characters. Longer
// entries are reported by ParseWordList and ignored by Compile.
const MaxWordRunes = 64

// Codes of the per-rune tables. A code below codeSep is a character: 0 for one in no listed
// word, else a symbol of the alphabet, possibly flagged with codeSingle. The filter skips
// codeSep and codeInvisible alike; codes above codeInvisible need the careful scan.
const (
	codeSep        uint32 = 1 << 29     // ignored between the characters of a word
	codeInvisible  uint32 = codeSep + 1 // removed from the text: it renders as nothing
	codeVoiced     uint32 = codeSep + 2 // a voiced sound mark, such as ﾞ or U+3099
	codeSemiVoiced uint32 = codeSep + 3 // a semi-voiced sound mark, such as ﾟ or U+309A
	codeInvalid    uint32 = codeSep + 4 // not a valid three-byte sequence, in Matcher.lead3's blocks
	codeSingle     uint32 = 1 << 30     // flags the code of a one-character word
	codeExpand     uint32 = 1 << 31     // low bits index Matcher.expand: a rune folding to several
)

// A Matcher finds the words of a WordList in text, seeing through the evasions described in the
// package documentation. It is built once by Compile and is safe for concurrent use.
type Matcher struct {
	ascii  [utf8.RuneSelf]uint32
	pages  []uint32      // rune>>8 → offset of its block in blocks
	blocks []uint32      // the code of each rune, 256 per block
	lead3  *[1024]uint32 // the first two bytes of a three-byte sequence → offset in blocks

	expand [][]uint32 // the codes of the runes that fold to several characters

	da       []slot   // the automaton's states, a double array; state 0 is the root
	dict     []int32  // nearest proper suffix state that ends a word, 0 if none
	root     []int32  // code → the root's child, negated when a word ends there; 0 for none
	pairs    []uint64 // row p*2+c/64%2: [some word starts with p, c; a two-character word is p, c] by bit c%64
	gate     []uint64 // bit hash3(a, b, c) & gateMask: some word starts with codes a, b, c
	gateMask uint32
	single   []bool // code → whether it is a one-character word
	kb       uint32 // codes 1..kb occur in banned words; higher codes only in allow entries

	alpha   map[rune]uint32 // folded rune → code, while Compile runs
	wordish []bool          // code → whether its rune is Latin, Greek, Cyrillic or a digit
	pats    []pattern

	// kana holds, for each code, the code of its character joined with a voiced (kana[c][0]) or
	// semi-voiced (kana[c][1]) sound mark, or noCompose when the mark does not join it. Every
	// character a mark joins has a code of its own, so the scanner joins marks by code exactly
	// where foldWord joins them by character, whatever rune the character was folded from.
	kana [][2]uint32
}

// noCompose marks, in Matcher.kana, a character that a sound mark does not join.
const noCompose uint32 = ^uint32(0)

// slot is one state of the double-array automaton.
type slot struct {
	base  int32 // the child on code c is state base+c, when that state's check is this state
	check int32 // the parent state, or -1 for a free slot
	fail  int32 // the longest proper suffix that is also a prefix of some word
	out   int32 // pattern index + 1 when a word ends here, -1 when only a suffix's word does, else 0
}

// pattern is one banned word.
type pattern struct {
	word  string
	n     int    // folded characters
	gaps  uint64 // bit i: the entry has a separator before character i
	latin uint64 // bit i: characters i-1 and i are both wordish
	cover []cover
}

// cover is an allow entry that contains a banned word.
type cover struct {
	codes []uint32
	gaps  uint64
	off   int // where the banned word starts inside the allow entry
}

// folded is a word reduced to codes.
type folded struct {
	word  string
	runes []rune
	gaps  uint64
}

// foldWord folds a list entry the way the scanner folds text. It reports false when the entry
// folds to nothing or to more than MaxWordRunes characters, or holds U+FFFD.
func foldWord(f *folding, w string) (folded, bool) {
	out := folded{word: w}
	var buf [1]rune
	sep := false
	lastSingle := false // the last character came alone from one rune, with at most separators since
	for _, r := range w {
		if r == utf8.RuneError {
			return out, false // stands for undecodable bytes, which match nothing
		}
		if mk := markOf(r); mk != markNone {
			// A sound mark joins the kana before it even past separators, as the scanner reads
			// text; the separators then stand between nothing.
			if lastSingle {
				if c, ok := f.compose(out.runes[len(out.runes)-1], mk); ok {
					out.runes[len(out.runes)-1] = c
					sep, lastSingle = false, false
					continue
				}
			}
			sep, lastSingle = true, false
			continue
		}
		rs := f.runes(r, &buf)
		if len(rs) == 0 {
			if !f.invisible(r) {
				sep = true
			}
			continue
		}
		for i, y := range rs {
			if len(out.runes) >= MaxWordRunes {
				return out, false
			}
			if sep && i == 0 && len(out.runes) > 0 {
				out.gaps |= 1 << len(out.runes)
			}
			out.runes = append(out.runes, y)
		}
		sep, lastSingle = false, len(rs) == 1
	}
	return out, len(out.runes) > 0
}

// Compile builds a Matcher for l. Entries that fold to nothing or to more than MaxWordRunes
// characters are ignored, and so are entries that fold to the same characters as an earlier one.
// A Matcher built from an empty list matches nothing.
func Compile(l WordList) *Matcher {
	f := theFolding()
	m := &Matcher{alpha: make(map[rune]uint32)}

	var words, allow []folded
	seen := make(map[string]bool)
	for _, w := range l.Words {
		fw, ok := foldWord(f, w)
		if k := string(fw.runes); ok && !seen[k] {
			seen[k] = true
			words = append(words, fw)
		}
	}
	seen = make(map[string]bool)
	for _, w := range l.Allow {
		fw, ok := foldWord(f, w)
		if k := string(fw.runes); ok && !seen[k] {
			seen[k] = true
			allow = append(allow, fw)
		}
	}

	// Codes: the runes of banned words by falling frequency, then those only found in allow
	// entries, then the kana a sound mark joins, then the ASCII letters and digits, so that every
	// wordish ASCII character is known.
	freq := make(map[rune]int)
	for _, w := range words {
		for _, r := range w.runes {
			freq[r]++
		}
	}
	order := make([]rune, 0, len(freq))
	for r := range freq {
		order = append(order, r)
	}
	slices.SortFunc(order, func(a, b rune) int {
		return cmp.Or(cmp.Compare(freq[b], freq[a]), cmp.Compare(a, b))
	})
	m.wordish = []bool{false}
	addCode := func(r rune) {
		if _, ok := m.alpha[r]; !ok {
			m.alpha[r] = uint32(len(m.wordish))
			m.wordish = append(m.wordish, isWordish(r))
		}
	}
	for _, r := range order {
		addCode(r)
	}
	m.kb = uint32(len(m.wordish) - 1)
	for _, w := range allow {
		for _, r := range w.runes {
			addCode(r)
		}
	}
	// The scanner joins a sound mark to a kana by the kana's code, so every kana a mark joins
	// needs one, listed or not: "㋙゙" reads as "ご" whether or not "こ" is in a word.
	for _, r := range f.takers {
		addCode(r)
	}
	for r := rune('0'); r <= 'z'; r++ {
		if isWordish(r) {
			addCode(r)
		}
	}

	m.single = make([]bool, m.kb+1)
	for _, w := range words {
		if len(w.runes) == 1 {
			m.single[m.alpha[w.runes[0]]] = true
		}
	}
	m.buildTables(f)
	m.buildKana(f)
	m.buildAutomaton(words)
	m.buildCovers(allow)
	m.alpha = nil // matching needs only the tables
	return m
}

// buildKana fills m.kana: for each code, the code of its character joined with a voiced or
// semi-voiced sound mark. A character that folds to nothing known has code 0, which no mark joins.
func (m *Matcher) buildKana(f *folding) {
	m.kana = make([][2]uint32, len(m.wordish))
	for c := range m.kana {
		m.kana[c] = [2]uint32{noCompose, noCompose}
	}
	for r, c := range m.alpha {
		for mk := range 2 {
			if v, ok := f.compose(r, markVoiced+mk); ok {
				m.kana[c][mk] = m.alpha[v]
			}
		}
	}
}

// codeOfFolded returns the code of the runes a rune folds to.
func (m *Matcher) codeOfFolded(rs []rune) uint32 {
	switch len(rs) {
	case 0:
		return codeSep
	case 1:
		c := m.alpha[rs[0]]
		if c <= m.kb && m.single[c] {
			c |= codeSingle
		}
		return c
	}
	codes := make([]uint32, len(rs))
	known := false
	for i, r := range rs {
		codes[i] = m.alpha[r]
		known = known || codes[i] != 0
	}
	if !known {
		return 0
	}
	m.expand = append(m.expand, codes)
	return codeExpand | uint32(len(m.expand)-1)
}

// codeOf returns the code of r.
func (m *Matcher) codeOf(f *folding, r rune) uint32 {
	switch markOf(r) {
	case markVoiced:
		return codeVoiced
	case markSemiVoiced:
		return codeSemiVoiced
	}
	if f.invisible(r) {
		return codeInvisible
	}
	var buf [1]rune
	return m.codeOfFolded(f.runes(r, &buf))
}

// buildTables fills the per-rune code tables, which cover all of Unicode. Blocks with the same
// content are shared.
func (m *Matcher) buildTables(f *folding) {
	for b := range utf8.RuneSelf {
		m.ascii[b] = m.codeOf(f, rune(b))
	}
	// Pages holding a folded rune of the alphabet, or a rune that folds specially, need a block;
	// the others hold only characters that match nothing.
	const pageCount = (unicode.MaxRune + 1) >> 8
	need := make([]bool, pageCount)
	for r := range m.alpha {
		need[r>>8] = true
	}
	for p := range tableLimit >> 8 {
		for _, w := range f.special[p*4 : p*4+4] {
			if w != 0 {
				need[p] = true
			}
		}
	}
	for p := tableLimit >> 8; p < pageCount; p++ {
		if isBigSeparator(rune(p << 8)) {
			need[p] = true
		}
	}
	m.pages = make([]uint32, pageCount)
	m.blocks = make([]uint32, 256) // block 0: all zero
	index := map[[256]uint32]uint32{{}: 0}
	var blk [256]uint32
	for p := range need {
		if !need[p] {
			continue
		}
		for i := range blk {
			r := rune(p<<8 | i)
			if r >= tableLimit {
				blk[i] = m.alpha[r]
				switch {
				case isBigInvisible(r):
					blk[i] = codeInvisible
				case isBigSeparator(r):
					blk[i] = codeSep
				}
				continue
			}
			blk[i] = m.codeOf(f, r)
		}
		off, ok := index[blk]
		if !ok {
			off = uint32(len(m.blocks))
			m.blocks = append(m.blocks, blk[:]...)
			index[blk] = off
		}
		m.pages[p] = off
	}
	// Three-byte sequences are looked up by their bytes: the low bits of the first two select a
	// block of 64 by the third. Overlong forms and surrogates select the invalid block, whose
	// code tells the scanner to decode the byte the slow way.
	m.lead3 = new([1024]uint32)
	invalid := uint32(len(m.blocks))
	for range 64 {
		m.blocks = append(m.blocks, codeInvalid)
	}
	for hi := range 1024 {
		b0, b1 := 0xE0|hi>>6, 0x80|hi&0x3F
		r := (b0&0x0F)<<12 | (b1&0x3F)<<6
		if r < 0x800 || r >= 0xD800 && r < 0xE000 {
			m.lead3[hi] = invalid
			continue
		}
		m.lead3[hi] = m.pages[r>>8] + uint32(r&0xC0)
	}
	m.blocks = slices.Clip(m.blocks)
}

// isBigSeparator reports whether r, at or above tableLimit, is a separator: the tags and
// variation selectors of plane 14, and the private-use planes.
func isBigSeparator(r rune) bool {
	return r >= 0xE0000 && r < 0xE1000 || r >= 0xF0000
}

// trieNode is a node of the trie the automaton is built from.
type trieNode struct {
	codes []uint32 // the codes of the children, increasing
	kids  []int32
	pat   int32 // pattern index + 1 when a word ends here
	fail  int32
}

// buildAutomaton builds the Aho–Corasick automaton of the banned words as a double array.
func (m *Matcher) buildAutomaton(words []folded) {
	type entry struct {
		codes []uint32
		w     folded
	}
	entries := make([]entry, len(words))
	for i, w := range words {
		codes := make([]uint32, len(w.runes))
		for j, r := range w.runes {
			codes[j] = m.alpha[r]
		}
		entries[i] = entry{codes, w}
	}
	slices.SortFunc(entries, func(a, b entry) int { return slices.Compare(a.codes, b.codes) })

	nodes := []trieNode{{}}
	for _, e := range entries {
		n := int32(0)
		for _, c := range e.codes {
			if k := len(nodes[n].codes); k > 0 && nodes[n].codes[k-1] == c {
				n = nodes[n].kids[k-1]
				continue
			}
			nodes = append(nodes, trieNode{})
			nodes[n].codes = append(nodes[n].codes, c)
			nodes[n].kids = append(nodes[n].kids, int32(len(nodes)-1))
			n = int32(len(nodes) - 1)
		}
		p := pattern{word: e.w.word, n: len(e.codes), gaps: e.w.gaps}
		for i := 1; i < len(e.w.runes); i++ {
			if isWordish(e.w.runes[i-1]) && isWordish(e.w.runes[i]) {
				p.latin |= 1 << i
			}
		}
		m.pats = append(m.pats, p)
		nodes[n].pat = int32(len(m.pats))
	}

	// Failure links, breadth first.
	child := func(n int32, c uint32) int32 {
		cs := nodes[n].codes
		if i, ok := slices.BinarySearch(cs, c); ok {
			return nodes[n].kids[i]
		}
		return -1
	}
	queue := make([]int32, 0, len(nodes))
	queue = append(queue, 0)
	for qi := 0; qi < len(queue); qi++ {
		n := queue[qi]
		for i, c := range nodes[n].codes {
			k := nodes[n].kids[i]
			queue = append(queue, k)
			if n == 0 {
				continue
			}
			f := nodes[n].fail
			for {
				if t := child(f, c); t >= 0 {
					nodes[k].fail = t
					break
				}
				if f == 0 {
					break
				}
				f = nodes[f].fail
			}
		}
	}

	// Double-array placement in breadth-first order, so shallow states sit close together.
	id := make([]int32, len(nodes)) // trie node → state
	var used []uint64
	isUsed := func(s int) bool { return s/64 < len(used) && used[s/64]&(1<<(s%64)) != 0 }
	setUsed := func(s int) {
		for s/64 >= len(used) {
			used = append(used, 0)
		}
		used[s/64] |= 1 << (s % 64)
	}
	setUsed(0)
	bases := make([]int32, len(nodes))
	firstFree := 1
	for _, n := range queue {
		cs := nodes[n].codes
		if len(cs) == 0 {
			continue
		}
		for isUsed(firstFree) {
			firstFree++
		}
		// Search the free slots near the end only: older holes are left, so that placing a
		// state costs O(1) rather than a scan of the whole array.
		pos := max(firstFree, len(used)*64-4096, int(cs[0])+1)
		for tries := 0; ; tries++ {
			if tries == 32 {
				// The holes here are too small: go to the end, where everything is free.
				pos = max(pos, len(used)*64)
			}
			// Next free slot at or after pos.
			for {
				w := pos / 64
				if w >= len(used) {
					break
				}
				free := ^used[w] &^ (1<<(pos%64) - 1)
				if free != 0 {
					pos = w*64 + bits.TrailingZeros64(free)
					break
				}
				pos = (w + 1) * 64
			}
			b := pos - int(cs[0])
			ok := true
			for _, c := range cs[1:] {
				if isUsed(b + int(c)) {
					ok = false
					break
				}
			}
			if ok {
				bases[n] = int32(b)
				for i, c := range cs {
					setUsed(b + int(c))
					id[nodes[n].kids[i]] = int32(b + int(c))
				}
				break
			}
			pos++
		}
	}
	size := len(used)*64 + int(m.kb) + 1
	m.da = make([]slot, size)
	for i := range m.da {
		m.da[i] = slot{base: int32(size), check: -1}
	}
	m.dict = make([]int32, size)
	for _, n := range queue {
		s := id[n]
		d := &m.da[s]
		d.base = bases[n]
		if n != 0 {
			d.fail = id[nodes[n].fail]
			// The parent is set below, from the parent's side.
		}
		for _, k := range nodes[n].kids {
			m.da[id[k]].check = s
		}
	}
	m.da[0].check = -1
	// Outputs, breadth first so that each state's failure target is done before it.
	for _, n := range queue {
		s := id[n]
		d := &m.da[s]
		if n == 0 {
			continue
		}
		f := d.fail
		if m.da[f].out > 0 {
			m.dict[s] = f
		} else {
			m.dict[s] = m.dict[f]
		}
		switch {
		case nodes[n].pat > 0:
			d.out = nodes[n].pat
		case m.dict[s] != 0:
			d.out = -1
		}
	}
	// States without children keep base = len(da), so base+code is always out of range.
	for i := range m.da {
		if m.da[i].base <= 0 {
			m.da[i].base = int32(size)
		}
	}
	m.da = slices.Clip(m.da)

	// The root's children.
	m.root = make([]int32, m.kb+1)
	for j, c := range nodes[0].codes {
		k := id[nodes[0].kids[j]]
		m.root[c] = k
		if m.da[k].out != 0 {
			m.root[c] = -k
		}
	}

	// The filters: the first two characters of every word, by the first's code and the second's
	// code modulo 128; and the first three characters of longer words, hashed into about 16 bits
	// a word.
	logBits := 12
	for 1<<logBits < len(entries)*16 && logBits < 26 {
		logBits++
	}
	m.gate = make([]uint64, 1<<logBits/64)
	m.gateMask = 1<<logBits - 1
	m.pairs = make([]uint64, 4*len(m.wordish))
	for _, e := range entries {
		c := e.codes
		if len(c) == 1 {
			continue
		}
		row := (c[0]*2 + c[1]/64%2) * 2
		m.pairs[row] |= 1 << (c[1] % 64)
		if len(c) == 2 {
			m.pairs[row+1] |= 1 << (c[1] % 64)
			continue
		}
		h := hash3(c[0], c[1], c[2]) & m.gateMask
		m.gate[h/64] |= 1 << (h % 64)
	}
}

// hash3 returns the filter bit of a word starting with codes a, b, c, before masking.
func hash3(a, b, c uint32) uint32 {
	return (a<<20 ^ b<<10 ^ c) * 0x9E3779B1 >> 6
}

// step moves the automaton from state s on code c, a code of a banned word's character.
func (m *Matcher) step(s int32, c uint32) int32 {
	da := m.da
	for {
		t := da[s].base + int32(c)
		if uint(t) < uint(len(da)) && da[t].check == s {
			return t
		}
		if s == 0 {
			return 0
		}
		s = da[s].fail
	}
}

// buildCovers records, for every banned word, the allow entries that contain it.
func (m *Matcher) buildCovers(allow []folded) {
	for _, a := range allow {
		codes := make([]uint32, len(a.runes))
		for i, r := range a.runes {
			codes[i] = m.alpha[r]
		}
		s := int32(0)
		for i, c := range codes {
			if c == 0 || c > m.kb {
				s = 0
				continue
			}
			s = m.step(s, c)
			for t := s; t != 0; t = m.dict[t] {
				if p := m.da[t].out; p > 0 {
					pat := &m.pats[p-1]
					pat.cover = append(pat.cover, cover{codes: codes, gaps: a.gaps, off: i + 1 - pat.n})
				}
			}
		}
	}
}
