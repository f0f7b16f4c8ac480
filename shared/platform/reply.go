package platform

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// recorder is the http.ResponseWriter a handler writes to when it serves a platform event. Like a
// net/http server it freezes the headers at WriteHeader (later changes are ignored), sniffs a
// missing Content-Type from the body, and refuses a body for 1xx, 204 and 304. Bodies up to the
// size of inline need no allocation beyond the recorder itself.
type recorder struct {
	header      http.Header
	status      int
	wrote       bool
	hasType     bool   // the handler set Content-Type, possibly to nothing to prevent sniffing
	encoded     bool   // the handler set a Content-Encoding, so the body is bytes, not text
	contentType string // the Content-Type the handler set
	headers     map[string]string
	cookies     []string
	body        []byte
	inline      [512]byte
}

func newRecorder() *recorder {
	r := new(recorder)
	r.body = r.inline[:0]
	return r
}

// Header returns the response headers, which may be changed until WriteHeader.
func (r *recorder) Header() http.Header {
	if r.header == nil {
		r.header = make(http.Header)
	}
	return r.header
}

// WriteHeader records the status and freezes the headers. Informational statuses other than 101
// cannot be relayed through a platform reply and are ignored, as are calls after the first.
func (r *recorder) WriteHeader(code int) {
	if r.wrote {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		return
	}
	r.wrote = true
	r.status = code
	r.freeze()
}

// freeze converts the headers to the platform form: Set-Cookie values apart, every other header
// one string, several values joined with ", ".
func (r *recorder) freeze() {
	r.headers = make(map[string]string, len(r.header))
	for k, vs := range r.header {
		if strings.EqualFold(k, "Set-Cookie") {
			if r.cookies == nil {
				r.cookies = vs[:len(vs):len(vs)]
			} else {
				r.cookies = append(r.cookies, vs...)
			}
			continue
		}
		switch len(vs) {
		case 0:
		case 1:
			r.headers[k] = vs[0]
		default:
			r.headers[k] = strings.Join(vs, ", ")
		}
	}
	ct, ok := r.header["Content-Type"]
	r.hasType = ok
	if len(ct) > 0 {
		r.contentType = ct[0]
	}
	ce := r.header.Get("Content-Encoding")
	r.encoded = ce != "" && !strings.EqualFold(ce, "identity")
}

// Write appends p to the body, writing a 200 header first if none was written.
func (r *recorder) Write(p []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(r.status) {
		return 0, http.ErrBodyNotAllowed
	}
	r.body = append(r.body, p...)
	return len(p), nil
}

// WriteString appends s to the body without converting it to a byte slice first.
func (r *recorder) WriteString(s string) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(r.status) {
		return 0, http.ErrBodyNotAllowed
	}
	r.body = append(r.body, s...)
	return len(s), nil
}

// Flush writes the header if it was not written; the body is sent whole when the handler returns.
func (r *recorder) Flush() {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
}

// bodyAllowed reports whether a response with status may have a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// response is a recorded response in the form every platform reply is built from.
type response struct {
	status  int
	headers map[string]string
	cookies []string
	body    string
	base64  bool
}

// result finishes the recording. The body is text when its content type is textual and it is
// valid UTF-8; otherwise, or when it carries a Content-Encoding, it is base64-encoded. A response
// to HEAD keeps its headers but has no body.
func (r *recorder) result(head bool) response {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	ct := r.contentType
	if !r.hasType && !r.encoded && len(r.body) > 0 {
		ct = http.DetectContentType(r.body)
		r.headers["Content-Type"] = ct
	}
	res := response{status: r.status, headers: r.headers, cookies: r.cookies}
	raw := r.body
	if head {
		raw = nil
	}
	switch {
	case len(raw) == 0:
	case r.encoded || !isText(ct) || !utf8.Valid(raw):
		res.body, res.base64 = base64.StdEncoding.EncodeToString(raw), true
	default:
		res.body = string(raw)
	}
	return res
}

// textSubtypes are the application/* subtypes that hold text.
var textSubtypes = []string{
	"json", "xml", "javascript", "ecmascript", "x-www-form-urlencoded", "x-ndjson", "yaml", "x-yaml",
	"graphql", "sql", "x-sh",
}

// isText reports whether the media type ct holds text: text/*, the textual application/*
// subtypes, and any +json, +xml or +yaml structured syntax.
func isText(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	typ, sub, ok := strings.Cut(strings.TrimSpace(mt), "/")
	if !ok {
		return false
	}
	if strings.EqualFold(typ, "text") {
		return true
	}
	for _, suffix := range []string{"+json", "+xml", "+yaml"} {
		if len(sub) > len(suffix) && strings.EqualFold(sub[len(sub)-len(suffix):], suffix) {
			return true
		}
	}
	if !strings.EqualFold(typ, "application") {
		return false
	}
	for _, s := range textSubtypes {
		if strings.EqualFold(sub, s) {
			return true
		}
	}
	return false
}
