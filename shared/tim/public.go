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
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
		if e.Detail != "" {
			b.WriteByte(' ')
			b.WriteString(e.Detail)
		}
	}
	if e.IMCode != 0 {
		b.WriteString(": IM error ")
		b.WriteString(strconv.Itoa(e.IMCode))
		if e.IMInfo != "" {
			b.WriteString(" ")
			b.WriteString(strconv.Quote(e.IMInfo))
		}
	}
	b.WriteString(".")
	return b.String()
}
