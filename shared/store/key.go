package store

import "strings"

// Keys are built by the services from fixed words and IDs that come from outside. Two characters
// give a key its shape: '/' ends a directory and '#' separates the parts of a key that is in no
// directory. Every ID is passed through EscapeID before it becomes part of a key, so that no ID can
// reach another directory or end a part early; the one character set below is the only one in use.
// A part that is not an ID as given but is derived from one, such as the hex digest that names an
// idempotency record, needs no escaping when it cannot hold '/', '#' or '%'; a part that can must
// be escaped like an ID. Keys that list a directory turn a name back into its ID with UnescapeID.

// EscapeID percent-encodes the bytes of id that have a meaning in a key: '%', '/' and '#'. IDs
// without them, the usual case, are returned as they are, without allocating.
func EscapeID(id string) string {
	if !strings.ContainsAny(id, "%/#") {
		return id
	}
	var b strings.Builder
	b.Grow(len(id) + 8)
	for i := 0; i < len(id); i++ {
		switch c := id[i]; c {
		case '%':
			b.WriteString("%25")
		case '/':
			b.WriteString("%2F")
		case '#':
			b.WriteString("%23")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// UnescapeID reverses EscapeID. A sequence EscapeID never writes is kept as it is.
func UnescapeID(part string) string {
	if !strings.Contains(part, "%") {
		return part
	}
	var b strings.Builder
	b.Grow(len(part))
	for i := 0; i < len(part); i++ {
		if part[i] == '%' && i+2 < len(part) {
			switch part[i+1 : i+3] {
			case "25":
				b.WriteByte('%')
				i += 2
				continue
			case "2F":
				b.WriteByte('/')
				i += 2
				continue
			case "23":
				b.WriteByte('#')
				i += 2
				continue
			}
		}
		b.WriteByte(part[i])
	}
	return b.String()
}
