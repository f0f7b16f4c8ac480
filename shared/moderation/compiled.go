package moderation

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// CompiledSuffix names the compiled form of a word list: the list's path with this suffix.
const CompiledSuffix = ".compiled"

// compiledVersion is the version of Compile's output and of its encoding. It must change whenever
// either changes, so that a function never loads a compiled list an older Compile made; a test
// holds it to the encoding of a fixed list.
const compiledVersion = 3

// compiledMagic starts every compiled word list.
var compiledMagic = [8]byte{'u', 'r', 'i', 'b', 'a', 'w', 'l', 0}

// ErrStale is returned by LoadCompiled for a compiled word list made from another source, or by
// another version of Compile or of the Unicode tables: the list must be compiled again.
var ErrStale = errors.New("moderation: the compiled word list is stale")

// compilerID names what a compiled word list depends on besides its source: the format and
// Compile's version, and the Unicode versions of the folding tables.
func compilerID() string {
	return fmt.Sprintf("v%d unicode %s norm %s", compiledVersion, unicode.Version, norm.Version)
}

// EncodeCompiled returns the compiled form of a word list: m, which Compile built from the list
// ParseWordList read from source, and the report of that parse. It holds the SHA-256 of source,
// by which LoadCompiled knows it is the form of that text, and a SHA-256 of its own content.
func EncodeCompiled(m *Matcher, source []byte, rep ParseReport) []byte {
	var p encoder
	p.report(rep)
	p.matcher(m)
	h := header{id: compilerID(), source: sha256.Sum256(source), content: sha256.Sum256(p.b)}
	out := h.append(nil, len(p.b))
	return append(out, p.b...)
}

// LoadCompiled decodes a compiled word list made by EncodeCompiled from source. It returns
// ErrStale when the compiled list was made from other text or by another version, and another
// error when it is damaged; either way the list must be compiled from its source instead. The
// Matcher it returns finds exactly what Compile's would.
func LoadCompiled(data, source []byte) (*Matcher, ParseReport, error) {
	h, content, err := readHeader(data)
	if err != nil {
		return nil, ParseReport{}, err
	}
	if h.id != compilerID() || h.source != sha256.Sum256(source) {
		return nil, ParseReport{}, ErrStale
	}
	if h.content != sha256.Sum256(content) {
		return nil, ParseReport{}, errors.New("moderation: the compiled word list is damaged (checksum mismatch)")
	}
	d := decoder{b: content}
	rep := d.report()
	m := d.matcher()
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err == nil {
		d.err = m.check()
	}
	if d.err != nil {
		return nil, ParseReport{}, fmt.Errorf("moderation: the compiled word list is damaged: %w", d.err)
	}
	return m, rep, nil
}

// WriteCompiled reads the word list at path, compiles it and writes its compiled form to
// path+CompiledSuffix. It returns the report of the parse, whose skipped lines the caller may
// want to show.
func WriteCompiled(path string) (ParseReport, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return ParseReport{}, err
	}
	l, rep, err := ParseWordList(bytes.NewReader(src))
	if err != nil {
		return rep, fmt.Errorf("%s: %w", path, err)
	}
	out := EncodeCompiled(Compile(l), src, rep)
	return rep, os.WriteFile(path+CompiledSuffix, out, 0o644)
}

// header is what precedes a compiled word list's content.
type header struct {
	id      string   // compilerID of the writer
	source  [32]byte // SHA-256 of the word list's text
	content [32]byte // SHA-256 of the content that follows
}

func (h header) append(b []byte, contentLen int) []byte {
	b = append(b, compiledMagic[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(h.id)))
	b = append(b, h.id...)
	b = append(b, h.source[:]...)
	b = append(b, h.content[:]...)
	return binary.LittleEndian.AppendUint64(b, uint64(contentLen))
}

// readHeader splits a compiled word list into its header and its content.
func readHeader(data []byte) (header, []byte, error) {
	var h header
	if !bytes.HasPrefix(data, compiledMagic[:]) {
		return h, nil, errors.New("moderation: not a compiled word list")
	}
	d := decoder{b: data[len(compiledMagic):]}
	n := d.u32()
	if n > 1<<10 {
		d.fail("bad header")
	}
	h.id = string(d.bytes(int(n)))
	copy(h.source[:], d.bytes(32))
	copy(h.content[:], d.bytes(32))
	size := d.u64()
	if d.err != nil || size != uint64(len(d.b)) {
		if h.id != "" && h.id != compilerID() {
			return h, nil, ErrStale // another version's layout may differ from here on
		}
		return h, nil, errors.New("moderation: the compiled word list is truncated")
	}
	return h, d.b, nil
}

// encoder appends little-endian values to b.
type encoder struct{ b []byte }

func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) num(v int)    { e.u64(uint64(int64(v))) }
func (e *encoder) str(s string) { e.u32(uint32(len(s))); e.b = append(e.b, s...) }

// list appends the length of v, then each of its items with put.
func list[T any](e *encoder, v []T, put func(T)) {
	e.u32(uint32(len(v)))
	for _, x := range v {
		put(x)
	}
}

func (e *encoder) u32s(v []uint32) { list(e, v, e.u32) }
func (e *encoder) i32s(v []int32)  { list(e, v, func(x int32) { e.u32(uint32(x)) }) }
func (e *encoder) u64s(v []uint64) { list(e, v, e.u64) }
func (e *encoder) ints(v []int)    { list(e, v, e.num) }

func (e *encoder) bools(v []bool) {
	list(e, v, func(x bool) {
		var c byte
		if x {
			c = 1
		}
		e.b = append(e.b, c)
	})
}

func (e *encoder) report(r ParseReport) {
	for _, n := range []int{r.Lines, r.Words, r.Allow, r.Blank, r.Comments, r.Duplicates} {
		e.num(n)
	}
	e.ints(r.Invalid)
	e.ints(r.Unusable)
}

func (e *encoder) matcher(m *Matcher) {
	e.u32s(m.ascii[:])
	e.u32s(m.pages)
	e.u32s(m.blocks)
	e.u32s(m.lead3[:])
	list(e, m.expand, e.u32s)
	list(e, m.da, func(s slot) {
		e.u32(uint32(s.base))
		e.u32(uint32(s.check))
		e.u32(uint32(s.fail))
		e.u32(uint32(s.out))
	})
	e.i32s(m.dict)
	e.i32s(m.root)
	e.u64s(m.pairs)
	e.u64s(m.gate)
	e.u32(m.gateMask)
	e.bools(m.single)
	e.u32(m.kb)
	e.bools(m.wordish)
	list(e, m.pats, func(p pattern) {
		e.str(p.word)
		e.num(p.n)
		e.u64(p.gaps)
		e.u64(p.latin)
		list(e, p.cover, func(c cover) {
			e.u32s(c.codes)
			e.u64(c.gaps)
			e.num(c.off)
		})
	})
	list(e, m.kana, func(k [2]uint32) { e.u32(k[0]); e.u32(k[1]) })
}

// decoder reads what encoder wrote. The first problem is kept in err; after it, reads return
// zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = errors.New(what)
	}
	d.b = nil
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u32() uint32 {
	if b := d.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) num() int {
	v := int64(d.u64())
	if v < math.MinInt || v > math.MaxInt {
		d.fail("integer out of range")
	}
	return int(v)
}

func (d *decoder) str() string { return string(d.bytes(int(d.u32()))) }

// count reads a length and checks that that many items of size bytes each can follow.
func (d *decoder) count(size int) int {
	n := int(d.u32())
	if n > len(d.b)/size {
		d.fail("truncated")
		return 0
	}
	return n
}

func (d *decoder) u32s() []uint32 {
	n := d.count(4)
	b := d.bytes(4 * n)
	v := make([]uint32, n)
	for i := range v {
		v[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return v
}

func (d *decoder) i32s() []int32 {
	n := d.count(4)
	b := d.bytes(4 * n)
	v := make([]int32, n)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func (d *decoder) u64s() []uint64 {
	n := d.count(8)
	b := d.bytes(8 * n)
	v := make([]uint64, n)
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return v
}

func (d *decoder) bools() []bool {
	n := d.count(1)
	b := d.bytes(n)
	v := make([]bool, n)
	for i := range v {
		v[i] = b[i] != 0
	}
	return v
}

func (d *decoder) ints() []int {
	n := d.count(8)
	if n == 0 {
		return nil // as ParseWordList leaves an empty list
	}
	v := make([]int, n)
	for i := range v {
		v[i] = d.num()
	}
	return v
}

func (d *decoder) report() ParseReport {
	var r ParseReport
	for _, p := range []*int{&r.Lines, &r.Words, &r.Allow, &r.Blank, &r.Comments, &r.Duplicates} {
		*p = d.num()
	}
	r.Invalid = d.ints()
	r.Unusable = d.ints()
	return r
}

// fixed copies a decoded slice into an array, which it must fill exactly.
func fixed[T any](d *decoder, dst []T, src []T) {
	if len(src) != len(dst) {
		d.fail("a table has the wrong size")
		return
	}
	copy(dst, src)
}

func (d *decoder) matcher() *Matcher {
	m := &Matcher{lead3: new([1024]uint32)}
	fixed(d, m.ascii[:], d.u32s())
	m.pages = d.u32s()
	m.blocks = d.u32s()
	fixed(d, m.lead3[:], d.u32s())
	if n := d.count(4); n > 0 {
		m.expand = make([][]uint32, n)
		for i := range m.expand {
			m.expand[i] = d.u32s()
		}
	}
	n := d.count(16)
	b := d.bytes(16 * n)
	m.da = make([]slot, n)
	for i := range m.da {
		s := b[16*i:]
		m.da[i] = slot{
			base:  int32(binary.LittleEndian.Uint32(s)),
			check: int32(binary.LittleEndian.Uint32(s[4:])),
			fail:  int32(binary.LittleEndian.Uint32(s[8:])),
			out:   int32(binary.LittleEndian.Uint32(s[12:])),
		}
	}
	m.dict = d.i32s()
	m.root = d.i32s()
	m.pairs = d.u64s()
	m.gate = d.u64s()
	m.gateMask = d.u32()
	m.single = d.bools()
	m.kb = d.u32()
	m.wordish = d.bools()
	m.pats = make([]pattern, d.count(4))
	for i := range m.pats {
		p := &m.pats[i]
		p.word = d.str()
		p.n = d.num()
		p.gaps = d.u64()
		p.latin = d.u64()
		if n := d.count(4); n > 0 {
			p.cover = make([]cover, n)
			for j := range p.cover {
				p.cover[j] = cover{codes: d.u32s(), gaps: d.u64(), off: d.num()}
			}
		}
	}
	m.kana = make([][2]uint32, d.count(8))
	for i := range m.kana {
		m.kana[i] = [2]uint32{d.u32(), d.u32()}
	}
	return m
}

// check tests the sizes the matching code relies on, so that a decoded Matcher that passes it
// cannot index its tables out of range.
func (m *Matcher) check() error {
	const pageCount = (unicode.MaxRune + 1) >> 8
	blocks := uint64(len(m.blocks))
	switch {
	case len(m.pages) != pageCount:
		return errors.New("the page table has the wrong size")
	case len(m.dict) != len(m.da) || len(m.da) == 0:
		return errors.New("the automaton's tables differ in size")
	case uint64(m.kb)+1 != uint64(len(m.root)) || len(m.single) != len(m.root):
		return errors.New("the root tables have the wrong size")
	case len(m.wordish) <= int(m.kb) || len(m.pairs) != 4*len(m.wordish) || len(m.kana) != len(m.wordish):
		return errors.New("the alphabet tables have the wrong size")
	case len(m.gate) == 0 || uint64(len(m.gate))*64 != uint64(m.gateMask)+1:
		return errors.New("the filter has the wrong size")
	}
	for _, off := range m.pages {
		if uint64(off)+256 > blocks {
			return errors.New("a page points past the blocks")
		}
	}
	for _, off := range m.lead3 {
		if uint64(off)+64 > blocks {
			return errors.New("a three-byte lead points past the blocks")
		}
	}
	return nil
}
