package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
)

// maxBodyBytes is the largest request body a handler is given: Lambda's 6 MB limit on a
// synchronous invocation payload. Larger bodies are refused with 413.
const maxBodyBytes = 6 << 20

// eventKind tells which HTTP event shape an event has, if any.
type eventKind uint8

const (
	notHTTP eventKind = iota
	// lambdaV2 is a Lambda function URL or API Gateway HTTP API payload 2.0 event.
	lambdaV2
	// lambdaV1 is an API Gateway REST API (payload 1.0) event.
	lambdaV1
	// scfHTTP is a Tencent SCF API gateway or function URL event.
	scfHTTP
)

// httpEvent is the union of the HTTP event shapes the platforms send, decoded in one pass. Fields
// that are needed only in some shapes are kept raw and decoded on demand.
type httpEvent struct {
	// Lambda function URL and API Gateway HTTP API (payload 2.0).
	Version        string   `json:"version"`
	RawPath        string   `json:"rawPath"`
	RawQueryString string   `json:"rawQueryString"`
	Cookies        []string `json:"cookies"`

	// API Gateway REST (payload 1.0) and Tencent SCF.
	HTTPMethod                      string          `json:"httpMethod"`
	Path                            string          `json:"path"`
	MultiValueHeaders               json.RawMessage `json:"multiValueHeaders"`
	MultiValueQueryStringParameters json.RawMessage `json:"multiValueQueryStringParameters"`
	// QueryString is SCF's full query: values are strings, arrays of strings for repeated
	// parameters, or true for a parameter without a value.
	QueryString json.RawMessage `json:"queryString"`

	// Every shape.
	Headers               map[string]string `json:"headers"`
	QueryStringParameters json.RawMessage   `json:"queryStringParameters"`
	Body                  string            `json:"body"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
	RequestContext        struct {
		DomainName string `json:"domainName"` // Lambda
		Protocol   string `json:"protocol"`   // API Gateway REST
		SourceIP   string `json:"sourceIp"`   // SCF
		Identity   struct {
			SourceIP string `json:"sourceIp"` // API Gateway REST
		} `json:"identity"`
		HTTP struct {
			Method   string `json:"method"`
			Path     string `json:"path"`
			Protocol string `json:"protocol"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"` // Lambda payload 2.0
	} `json:"requestContext"`
}

// decodeEvent decodes event and tells its HTTP shape, judged by the fields only an HTTP event
// carries: requestContext.http.method for payload 2.0 on Lambda, httpMethod and path for payload
// 1.0 on Lambda and for every SCF HTTP event. The SCF function URL leaves requestContext out, so it
// cannot be a marker there. An event that does not decode as the union is an HTTP event only if it
// carries those fields; anything else is not HTTP and its decode error is dropped.
func decodeEvent(event []byte, onSCF bool) (*httpEvent, eventKind, error) {
	e := new(httpEvent)
	if err := json.Unmarshal(event, e); err != nil {
		if looksHTTP(event) {
			return nil, notHTTP, fmt.Errorf("platform: decode HTTP event: %w", err)
		}
		return nil, notHTTP, nil
	}
	switch {
	case onSCF && e.HTTPMethod != "" && e.Path != "":
		return e, scfHTTP, nil
	case !onSCF && e.RequestContext.HTTP.Method != "":
		return e, lambdaV2, nil
	case !onSCF && e.HTTPMethod != "" && e.Path != "":
		return e, lambdaV1, nil
	}
	return e, notHTTP, nil
}

// looksHTTP reports whether an event that failed to decode carries an HTTP event's markers.
func looksHTTP(event []byte) bool {
	var top struct {
		HTTPMethod     json.RawMessage `json:"httpMethod"`
		RequestContext json.RawMessage `json:"requestContext"`
	}
	if json.Unmarshal(event, &top) != nil {
		return false
	}
	if len(top.HTTPMethod) > 0 && string(top.HTTPMethod) != "null" {
		return true
	}
	var rc struct {
		HTTP json.RawMessage `json:"http"`
	}
	return json.Unmarshal(top.RequestContext, &rc) == nil && len(rc.HTTP) > 0 && string(rc.HTTP) != "null"
}

// refusal is an event that cannot become a request; the client gets status and a problem
// document with code and detail.
type refusal struct {
	status int
	code   string
	detail string
}

// Stable problem codes, the same as those in shared/live.
const (
	codeTooLarge = "body_too_large"
	codeInvalid  = "invalid_request"
)

var tooLargeDetail = "The request body exceeds " + strconv.Itoa(maxBodyBytes) + " bytes."

// request converts e, of the given kind, to the *http.Request a net/http server would have built
// for the same request.
func (e *httpEvent) request(ctx context.Context, kind eventKind) (*http.Request, *refusal) {
	method, target, proto, remote := e.HTTPMethod, "", e.RequestContext.Protocol, e.RequestContext.SourceIP
	switch kind {
	case lambdaV2:
		method, proto, remote = e.RequestContext.HTTP.Method, e.RequestContext.HTTP.Protocol, e.RequestContext.HTTP.SourceIP
		target = e.RawPath
		if target == "" {
			target = e.RequestContext.HTTP.Path
		}
		target = withQuery(target, e.RawQueryString, e.QueryStringParameters, nil)
	case lambdaV1:
		remote = e.RequestContext.Identity.SourceIP
		target = withQuery(e.Path, "", e.QueryStringParameters, e.MultiValueQueryStringParameters)
	case scfHTTP:
		// queryString holds the whole query; queryStringParameters only the parameters declared
		// in the API gateway, so it is read only when queryString is missing or empty.
		target = withQuery(e.Path, "", e.QueryStringParameters, e.QueryString)
	}
	if method == "" || !validMethod(method) {
		return nil, &refusal{http.StatusBadRequest, codeInvalid, "The request method is missing or malformed."}
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		// The platform may have sent an already decoded path; take it literally.
		path, query, _ := strings.Cut(target, "?")
		u = &url.URL{Path: path, RawQuery: query}
		target = u.RequestURI()
	}

	body, n, ref := e.body()
	if ref != nil {
		return nil, ref
	}

	header, host := e.header()
	if host == "" {
		host = e.RequestContext.DomainName
	}
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		proto, major, minor = "HTTP/1.1", 1, 1
	}
	if remote != "" {
		// net/http gives RemoteAddr as host:port; the platforms give no port, so it is 0.
		remote = net.JoinHostPort(remote, "0")
	}
	r := http.Request{
		Method:        method,
		URL:           u,
		Proto:         proto,
		ProtoMajor:    major,
		ProtoMinor:    minor,
		Header:        header,
		Body:          body,
		ContentLength: n,
		Host:          host,
		RemoteAddr:    remote,
		RequestURI:    target,
	}
	return r.WithContext(ctx), nil
}

// withQuery returns path with its query string appended: raw when the platform sent it as is,
// otherwise encoded from the single-valued params or the multi-valued multi (values may be strings,
// arrays of strings, or true for a parameter without a value).
func withQuery(path, raw string, params, multi json.RawMessage) string {
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	if raw == "" {
		raw = encodeQuery(params, multi)
	}
	if raw == "" {
		return path
	}
	return path + "?" + raw
}

// encodeQuery encodes the first of multi and params that holds parameters.
func encodeQuery(params, multi json.RawMessage) string {
	for _, src := range []json.RawMessage{multi, params} {
		if len(src) == 0 || src[0] != '{' {
			continue
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(src, &m) != nil || len(m) == 0 {
			continue
		}
		v := make(url.Values, len(m))
		for k, raw := range m {
			v[k] = queryValues(raw)
		}
		return v.Encode()
	}
	return ""
}

// queryValues decodes one query parameter's value as the platforms send it.
func queryValues(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		out := make([]string, 0, len(list))
		for _, item := range list {
			out = append(out, scalar(item))
		}
		return out
	}
	return []string{scalar(raw)}
}

// scalar renders a JSON scalar as query text: a string as itself, true (a parameter without a
// value) and null as empty, a number or false as written.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	switch t := string(bytes.TrimSpace(raw)); t {
	case "true", "null":
		return ""
	default:
		return t
	}
}

// header converts the event's headers to an http.Header with canonical keys. The host header is
// returned apart, as net/http does. Lambda's cookies list becomes one Cookie header. Values the
// platform joined with commas stay joined, which is equivalent for list-valued headers.
func (e *httpEvent) header() (http.Header, string) {
	var multi map[string][]string
	if len(e.MultiValueHeaders) > 0 && e.MultiValueHeaders[0] == '{' {
		_ = json.Unmarshal(e.MultiValueHeaders, &multi)
	}
	h := make(http.Header, len(e.Headers)+len(multi)+1)
	var host string
	if len(multi) > 0 {
		for k, vs := range multi {
			ck := textproto.CanonicalMIMEHeaderKey(k)
			if ck == "Host" {
				if len(vs) > 0 {
					host = vs[0]
				}
				continue
			}
			h[ck] = append(h[ck], vs...)
		}
	} else {
		// One backing array for all single values saves an allocation per header.
		vals := make([]string, 0, len(e.Headers))
		for k, v := range e.Headers {
			ck := textproto.CanonicalMIMEHeaderKey(k)
			if ck == "Host" {
				host = v
				continue
			}
			if prev, ok := h[ck]; ok {
				h[ck] = append(prev, v)
				continue
			}
			vals = append(vals, v)
			h[ck] = vals[len(vals)-1 : len(vals) : len(vals)]
		}
	}
	if len(e.Cookies) > 0 {
		c := strings.Join(e.Cookies, "; ")
		if prev := h.Get("Cookie"); prev != "" {
			c = prev + "; " + c
		}
		h["Cookie"] = []string{c}
	}
	return h, host
}

// body decodes the event's body.
func (e *httpEvent) body() (body io.ReadCloser, n int64, ref *refusal) {
	if e.Body == "" {
		return http.NoBody, 0, nil
	}
	if !e.IsBase64Encoded {
		if len(e.Body) > maxBodyBytes {
			return nil, 0, &refusal{http.StatusRequestEntityTooLarge, codeTooLarge, tooLargeDetail}
		}
		b := new(stringBody)
		b.Reset(e.Body)
		return b, int64(len(e.Body)), nil
	}
	if base64.StdEncoding.DecodedLen(len(e.Body)) > maxBodyBytes {
		return nil, 0, &refusal{http.StatusRequestEntityTooLarge, codeTooLarge, tooLargeDetail}
	}
	raw, err := base64.StdEncoding.DecodeString(e.Body)
	if err != nil {
		return nil, 0, &refusal{http.StatusBadRequest, codeInvalid, "The request body is marked base64 but is not valid base64."}
	}
	if len(raw) > maxBodyBytes {
		return nil, 0, &refusal{http.StatusRequestEntityTooLarge, codeTooLarge, tooLargeDetail}
	}
	b := new(bytesBody)
	b.Reset(raw)
	return b, int64(len(raw)), nil
}

// stringBody is a request body read from the event's text, without a copy.
type stringBody struct{ strings.Reader }

// Close does nothing; the body lives in memory.
func (*stringBody) Close() error { return nil }

// bytesBody is a request body decoded from base64.
type bytesBody struct{ bytes.Reader }

// Close does nothing; the body lives in memory.
func (*bytesBody) Close() error { return nil }

// validMethod reports whether m is an HTTP token, as net/http requires of a method.
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
