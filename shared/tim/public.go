package tim

import (
	"strconv"
	"strings"
)

// PublicMessage describes the failure for an API caller: the call, the kind, the field that
// broke a limit and IM's own code and text, but never the network cause, which may name hosts.
func (e *Error) PublicMessage() string {
	var b strings.Builder
	b.WriteString("Tencent IM")
	if e.Call != "" {
		b.WriteString(" (")
		b.WriteString(e.Call)
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	e.writeField(&b)
	if e.writeIMCode(&b) && e.IMInfo != "" {
		b.WriteString(" ")
		b.WriteString(strconv.Quote(e.IMInfo))
	}
	b.WriteString(".")
	return b.String()
}

// writeField writes ": Field Detail" when the error names a field, and reports whether it does.
func (e *Error) writeField(b *strings.Builder) bool {
	if e.Field == "" {
		return false
	}
	b.WriteString(": ")
	b.WriteString(e.Field)
	if e.Detail != "" {
		b.WriteByte(' ')
		b.WriteString(e.Detail)
	}
	return true
}

// writeIMCode writes ": IM error " and IM's code when IM answered with one, and reports whether
// it did.
func (e *Error) writeIMCode(b *strings.Builder) bool {
	if e.IMCode == 0 {
		return false
	}
	b.WriteString(": IM error ")
	b.WriteString(strconv.Itoa(e.IMCode))
	return true
}
