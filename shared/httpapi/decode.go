package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/uriba-live/uriba/shared/live"
)

// Validator is implemented by request types that check their own fields after decoding.
type Validator interface {
	Validate() error
}

// readBody reads r's body, refusing one over the router's limit with ETooLarge.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, live.Errorf(live.ETooLarge, "The request body exceeds %d bytes.", tooBig.Limit)
		}
		return nil, live.Errorf(live.EInvalid, "The request body could not be read.")
	}
	return body, nil
}

// DecodeJSON reads r's body into v. An empty body is allowed when allowEmpty is set (v keeps its
// zero value). Unknown fields, trailing data, invalid UTF-8 and oversize bodies are refused with
// stable codes; then v.Validate runs when v implements Validator.
func DecodeJSON(r *http.Request, v any, allowEmpty bool) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if !allowEmpty {
			return live.Errorf(live.EMalformedJSON, "The request body is empty; a JSON object is expected.")
		}
	} else {
		if !utf8.Valid(body) {
			return live.Errorf(live.EMalformedJSON, "The request body is not valid UTF-8.")
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return live.Errorf(live.EMalformedJSON, "The request body is not the expected JSON: %s.", jsonProblem(err))
		}
		if dec.More() {
			return live.Errorf(live.EMalformedJSON, "The request body has data after the JSON object.")
		}
	}
	if val, ok := v.(Validator); ok {
		return val.Validate()
	}
	return nil
}

func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + itoa(syn.Offset)
	case errors.As(err, &typ):
		return "field " + typ.Field + " must be " + typ.Type.String()
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends too early"
	default:
		return err.Error()
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
