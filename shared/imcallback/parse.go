package imcallback

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/uriba-live/uriba/shared/tim"
)

// The message callbacks arrive for every message twice (before and after delivery), so their
// bodies are read by a purpose-built decoder instead of encoding/json's reflection: one pass, no
// intermediate copies, element contents left in place in the body buffer. It gives exactly the
// result json.Unmarshal gives into sendMsg followed by json.Unmarshal of each MsgContent into
// tim.TextContent or tim.CustomContent, which FuzzSendMsgDecoder checks:
//
//   - the whole body must be valid JSON, or nothing is decoded;
//   - keys match field names exactly or case-insensitively (bytes.EqualFold);
//   - unlike encoding/json, which lets the last of two keys for one field win, the decoder refuses
//     a body in which the callback object, a message element or an element's MsgContent object
//     has two keys for the same field (errDuplicateKey). Another reader of the message (IM, a
//     client SDK) may take the first one, so "Data":"SEND_GIFT","Data":"LIKE" must not pass
//     the server-only guard as a like. Keys of no field the decoder reads are not compared:
//     nobody acting on the message reads them differently;
//   - a value of the wrong type leaves its field as it was, and so does null, except that a null
//     MsgBody empties the list;
//   - strings are unescaped, with invalid UTF-8 and lone surrogates replaced by U+FFFD;
//   - integers are read as strconv reads them; anything else leaves the field as it was.

// errSyntax reports a body that is not valid JSON.
var errSyntax = errors.New("imcallback: the body is not valid JSON")

// errDuplicateKey reports a body with two keys for the same field in one object.
var errDuplicateKey = errors.New("imcallback: the body has two keys for the same field")

// fieldSet records which fields of an object have been seen, one bit each.
type fieldSet uint32

// add records field bit f and fails when it was already there.
func (s *fieldSet) add(f fieldSet) error {
	if *s&f != 0 {
		return errDuplicateKey
	}
	*s |= f
	return nil
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// parser reads one JSON document.
type parser struct {
	b     []byte
	i     int
	depth int
}

func (p *parser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (p *parser) peek() byte {
	p.space()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// consume skips c, or fails.
func (p *parser) consume(c byte) error {
	if p.peek() != c {
		return errSyntax
	}
	p.i++
	return nil
}

// str reads a string and returns its raw content between the quotes, and whether it has escapes.
func (p *parser) str() (raw []byte, escaped bool, err error) {
	if p.peek() != '"' {
		return nil, false, errSyntax
	}
	p.i++
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			raw = p.b[start:p.i]
			p.i++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if p.i+1 >= len(p.b) {
				return nil, false, errSyntax
			}
			switch p.b[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+6 > len(p.b) || hex4(p.b[p.i+2:p.i+6]) < 0 {
					return nil, false, errSyntax
				}
				p.i += 6
			default:
				return nil, false, errSyntax
			}
		case c < 0x20:
			return nil, false, errSyntax
		default:
			p.i++
		}
	}
	return nil, false, errSyntax
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// unquote turns a string's raw content into its value as encoding/json does.
func unquote(raw []byte, escaped bool) string {
	if !escaped && utf8.Valid(raw) {
		return string(raw)
	}
	out := make([]byte, 0, len(raw)+8)
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\\' {
			switch raw[i+1] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(raw[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						if dec := utf16.DecodeRune(r, hex4(raw[i+2:])); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default: // '"', '\\', '/'
				out = append(out, raw[i+1])
			}
			i += 2
			continue
		}
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		out = utf8.AppendRune(out, r)
		i += size
	}
	return string(out)
}

// number reads a number and returns its text.
func (p *parser) number() ([]byte, error) {
	p.space()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.i < len(p.b) && '1' <= p.b[p.i] && p.b[p.i] <= '9':
		p.digits()
	default:
		return nil, errSyntax
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return nil, errSyntax
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return nil, errSyntax
		}
	}
	return p.b[start:p.i], nil
}

func (p *parser) digits() int {
	n := 0
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// literal reads true, false or null.
func (p *parser) literal(word string) error {
	if !bytes.HasPrefix(p.b[p.i:], []byte(word)) {
		return errSyntax
	}
	p.i += len(word)
	return nil
}

// word reads a literal and returns its bytes.
func (p *parser) word(w string) ([]byte, error) {
	start := p.i
	if err := p.literal(w); err != nil {
		return nil, err
	}
	return p.b[start:p.i], nil
}

// skip reads any value and returns its bytes.
func (p *parser) skip() ([]byte, error) {
	switch c := p.peek(); c {
	case '{', '[':
		start := p.i
		if err := p.container(c, func(key []byte) error {
			_, err := p.skip()
			return err
		}); err != nil {
			return nil, err
		}
		return p.b[start:p.i], nil
	case '"':
		start := p.i
		_, _, err := p.str()
		return p.b[start:p.i], err
	case 't':
		return p.word("true")
	case 'f':
		return p.word("false")
	case 'n':
		return p.word("null")
	default:
		return p.number()
	}
}

// container reads an object ('{') or an array ('['), calling each with every key (nil in an
// array) with the parser positioned at the member's value, which each must read.
func (p *parser) container(open byte, each func(key []byte) error) error {
	p.depth++
	if p.depth > maxDepth {
		return errSyntax
	}
	defer func() { p.depth-- }()
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	if err := p.consume(open); err != nil {
		return err
	}
	if p.peek() == closer {
		p.i++
		return nil
	}
	for {
		var key []byte
		if open == '{' {
			raw, escaped, err := p.str()
			if err != nil {
				return err
			}
			key = raw
			if escaped {
				key = []byte(unquote(raw, true))
			}
			if err := p.consume(':'); err != nil {
				return err
			}
		}
		if err := each(key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case closer:
			p.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// kind returns the kind of the next value: '{', '[', '"', 'n' for null, or 0 for others.
func (p *parser) kind() byte {
	switch c := p.peek(); c {
	case '{', '[', '"':
		return c
	case 'n':
		return 'n'
	}
	return 0
}

// stringField reads a value into a string field: a string sets it, any other value leaves it.
// typeErr is set for values that are neither strings nor null.
func (p *parser) stringField(dst *string) (typeErr bool, err error) {
	if p.kind() != '"' {
		raw, err := p.skip()
		return err == nil && raw[0] != 'n', err
	}
	raw, escaped, err := p.str()
	if err != nil {
		return false, err
	}
	*dst = unquote(raw, escaped)
	return false, nil
}

// intField reads a value into an int64 field, or a uint64 one when u is not nil.
func (p *parser) intField(s *int64, u *uint64) error {
	c := p.peek()
	if c != '-' && (c < '0' || c > '9') {
		_, err := p.skip()
		return err
	}
	lit, err := p.number()
	if err != nil {
		return err
	}
	if u != nil {
		if v, ok := parseUint(lit); ok {
			*u = v
		}
		return nil
	}
	if v, ok := parseInt(lit); ok {
		*s = v
	}
	return nil
}

// parseInt reads a decimal integer as strconv.ParseInt does.
func parseInt(lit []byte) (int64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	digits := lit
	if neg {
		digits = lit[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		v, err := strconv.ParseInt(string(lit), 10, 64)
		return v, err == nil
	}
	var v int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseUint reads a decimal unsigned integer as strconv.ParseUint does.
func parseUint(lit []byte) (uint64, bool) {
	if len(lit) == 0 || len(lit) > 19 {
		v, err := strconv.ParseUint(string(lit), 10, 64)
		return v, err == nil
	}
	var v uint64
	for _, c := range lit {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// end checks that only white space follows the document.
func (p *parser) end() error {
	p.space()
	if p.i != len(p.b) {
		return errSyntax
	}
	return nil
}

// Field names, in the spelling IM uses.
var (
	keyGroupID         = []byte("GroupId")
	keyFromAccount     = []byte("From_Account")
	keyOperatorAccount = []byte("Operator_Account")
	keyRandom          = []byte("Random")
	keyMsgSeq          = []byte("MsgSeq")
	keyMsgTime         = []byte("MsgTime")
	keyEventTime       = []byte("EventTime")
	keyMsgBody         = []byte("MsgBody")
	keyMsgType         = []byte("MsgType")
	keyMsgContent      = []byte("MsgContent")
	keyText            = []byte("Text")
	keyData            = []byte("Data")
	keyDesc            = []byte("Desc")
	keyExt             = []byte("Ext")
	keySound           = []byte("Sound")
)

// is reports whether a key names field, as encoding/json matches them.
func is(key, field []byte) bool {
	return bytes.Equal(key, field) || bytes.EqualFold(key, field)
}

// parseSendMsg decodes body into m. The element contents of m.MsgBody point into body. m must
// have been reset; elements beyond its length are reused as encoding/json reuses them.
func parseSendMsg(body []byte, m *sendMsg) error {
	p := parser{b: body}
	if p.kind() != '{' {
		if _, err := p.skip(); err != nil {
			return err
		}
		return p.end()
	}
	var seen fieldSet
	err := p.container('{', func(key []byte) error {
		f := fieldOf(key, sendMsgKeys)
		if f == 0 {
			_, err := p.skip()
			return err
		}
		if err := seen.add(f); err != nil {
			return err
		}
		switch f {
		case fieldGroupID:
			_, err := p.stringField(&m.GroupID)
			return err
		case fieldFromAccount:
			_, err := p.stringField(&m.FromAccount)
			return err
		case fieldOperatorAccount:
			_, err := p.stringField(&m.OperatorAccount)
			return err
		case fieldRandom:
			return p.intField(nil, &m.Random)
		case fieldMsgSeq:
			return p.intField(nil, &m.MsgSeq)
		case fieldMsgTime:
			return p.intField(&m.MsgTime, nil)
		case fieldEventTime:
			return p.intField(&m.EventTime, nil)
		default: // fieldMsgBody
			return p.msgBody(m)
		}
	})
	if err != nil {
		return err
	}
	return p.end()
}

// Fields of the callback object, of a message element and of an element's content, as fieldSet
// bits. Each object has its own set, so the bits may overlap between them.
const (
	fieldGroupID fieldSet = 1 << iota
	fieldFromAccount
	fieldOperatorAccount
	fieldRandom
	fieldMsgSeq
	fieldMsgTime
	fieldEventTime
	fieldMsgBody
)

const (
	fieldMsgType fieldSet = 1 << iota
	fieldMsgContent
)

const (
	fieldText fieldSet = 1 << iota
	fieldData
	fieldDesc
	fieldExt
	fieldSound
)

// The keys of the callback object's fields and of a content's fields, in the order of their
// fieldSet bits.
var (
	sendMsgKeys = [][]byte{keyGroupID, keyFromAccount, keyOperatorAccount, keyRandom, keyMsgSeq, keyMsgTime, keyEventTime, keyMsgBody}
	contentKeys = [][]byte{keyText, keyData, keyDesc, keyExt, keySound}
)

// fieldOf returns the field that key names among keys, listed in the order of their fieldSet
// bits, or 0.
func fieldOf(key []byte, keys [][]byte) fieldSet {
	for i, k := range keys {
		if is(key, k) {
			return 1 << i
		}
	}
	return 0
}

// msgBody reads the MsgBody array into m.MsgBody.
func (p *parser) msgBody(m *sendMsg) error {
	switch p.kind() {
	case '[':
	case 'n':
		clear(m.MsgBody[:cap(m.MsgBody)]) // encoding/json drops the slice
		m.MsgBody = m.MsgBody[:0]
		return p.literal("null")
	default:
		_, err := p.skip()
		return err
	}
	m.MsgBody = m.MsgBody[:0]
	return p.container('[', func([]byte) error {
		if n := len(m.MsgBody); n < cap(m.MsgBody) {
			m.MsgBody = m.MsgBody[:n+1] // the element keeps what it held, as with encoding/json
		} else {
			m.MsgBody = append(m.MsgBody, tim.MsgElem{})
		}
		return p.element(&m.MsgBody[len(m.MsgBody)-1])
	})
}

// element reads one message element; a value that is not an object leaves el as it was.
func (p *parser) element(el *tim.MsgElem) error {
	if p.kind() != '{' {
		_, err := p.skip()
		return err
	}
	var seen fieldSet
	return p.container('{', func(key []byte) error {
		switch {
		case is(key, keyMsgType):
			if err := seen.add(fieldMsgType); err != nil {
				return err
			}
			_, err := p.stringField(&el.MsgType)
			return err
		case is(key, keyMsgContent):
			if err := seen.add(fieldMsgContent); err != nil {
				return err
			}
			raw, err := p.msgContent()
			el.MsgContent = raw
			return err
		}
		_, err := p.skip()
		return err
	})
}

// msgContent reads an element's MsgContent and returns its bytes. An object must not have two
// keys for one field of a text or custom content; any other value is read as it is.
func (p *parser) msgContent() ([]byte, error) {
	if p.kind() != '{' {
		return p.skip()
	}
	start := p.i
	var seen fieldSet
	err := p.container('{', func(key []byte) error {
		if f := fieldOf(key, contentKeys); f != 0 {
			if err := seen.add(f); err != nil {
				return err
			}
		}
		_, err := p.skip()
		return err
	})
	if err != nil {
		return nil, err
	}
	return p.b[start:p.i], nil
}

// content is what a text or custom element's MsgContent holds.
type content struct {
	tim.CustomContent
	Text string
}

// Fields of content with a value of the wrong type.
const (
	badText = 1 << iota
	badData
	badDesc
	badExt
	badSound
)

// parseContent decodes an element's MsgContent into c, and reports which fields had a value of
// the wrong type. ok is false when raw is neither an object nor null, or has two keys for one
// field (which parseSendMsg has already refused).
func parseContent(raw []byte, c *content) (bad int, ok bool) {
	*c = content{}
	p := parser{b: raw}
	switch p.kind() {
	case 'n':
		return 0, len(raw) > 0 && p.literal("null") == nil && p.end() == nil
	case '{':
	default:
		return 0, false
	}
	var seen fieldSet
	err := p.container('{', func(key []byte) error {
		var dst *string
		var flag int
		f := fieldOf(key, contentKeys)
		switch f {
		case fieldText:
			dst, flag = &c.Text, badText
		case fieldData:
			dst, flag = &c.Data, badData
		case fieldDesc:
			dst, flag = &c.Desc, badDesc
		case fieldExt:
			dst, flag = &c.Ext, badExt
		case fieldSound:
			dst, flag = &c.Sound, badSound
		default:
			_, err := p.skip()
			return err
		}
		if err := seen.add(f); err != nil {
			return err
		}
		typeErr, err := p.stringField(dst)
		if typeErr {
			bad |= flag
		}
		return err
	})
	return bad, err == nil && p.end() == nil
}
