package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// LambdaHandler returns the handler Run uses on AWS Lambda. A Lambda function URL or API Gateway
// HTTP API (payload 2.0) event is served by f.HTTP and answered as an
// aws-lambda-go's events.LambdaFunctionURLResponse: Set-Cookie values in cookies, other repeated
// headers joined, binary bodies base64-encoded. An API Gateway REST (payload 1.0) event is answered
// as an events.APIGatewayProxyResponse with Set-Cookie values in multiValueHeaders. Any other event goes
// to f.Event.
func LambdaHandler(f Function) EventHandler {
	return func(ctx context.Context, event json.RawMessage) (any, error) {
		return handle(ctx, f, event, false)
	}
}

// SCFHandler returns the handler Run uses on a Tencent SCF event function. An API gateway or
// function URL event is served by f.HTTP and answered in Tencent's integration response shape,
// {isBase64Encoded, statusCode, headers, body}. Any other event (a timer, a queue message, an
// asynchronous invocation) goes to f.Event.
//
// Tencent documents the reply's headers only as a map of strings, and no multiValueHeaders field.
// Repeated headers are therefore joined with ", ", except Set-Cookie, whose values cannot be
// joined: several cookies are sent as a JSON array under headers["Set-Cookie"], which is what
// Tencent's own Node.js adapter (tencent-serverless-http) returns to the gateway; a single cookie
// stays a string.
func SCFHandler(f Function) EventHandler {
	return func(ctx context.Context, event json.RawMessage) (any, error) {
		return handle(ctx, f, event, true)
	}
}

// handle routes one platform event to f.HTTP or f.Event.
func handle(ctx context.Context, f Function, event json.RawMessage, onSCF bool) (any, error) {
	e, kind, err := decodeEvent(event, onSCF)
	if err != nil {
		return nil, err
	}
	if kind == notHTTP {
		if f.Event == nil {
			return nil, fmt.Errorf("platform: function %q received a non-HTTP event but has no Event handler", f.Name)
		}
		return f.Event(ctx, event)
	}
	if f.HTTP == nil {
		return nil, fmt.Errorf("platform: function %q received an HTTP event but has no HTTP handler", f.Name)
	}

	w := newRecorder()
	head := false
	if r, ref := e.request(ctx, kind); ref != nil {
		writeProblem(w, ref.status, ref.code, ref.detail)
	} else {
		head = r.Method == http.MethodHead
		f.HTTP.ServeHTTP(w, r)
	}
	res := w.result(head)

	switch kind {
	case lambdaV2:
		return &lambdaURLResponse{
			StatusCode:      res.status,
			Headers:         res.headers,
			Body:            res.body,
			IsBase64Encoded: res.base64,
			Cookies:         res.cookies,
		}, nil
	case lambdaV1:
		reply := &lambdaProxyResponse{
			StatusCode:      res.status,
			Headers:         res.headers,
			Body:            res.body,
			IsBase64Encoded: res.base64,
		}
		if len(res.cookies) > 0 {
			reply.MultiValueHeaders = map[string][]string{"Set-Cookie": res.cookies}
		}
		return reply, nil
	default:
		headers := make(map[string]any, len(res.headers)+1)
		for k, v := range res.headers {
			headers[k] = v
		}
		switch len(res.cookies) {
		case 0:
		case 1:
			headers["Set-Cookie"] = res.cookies[0]
		default:
			headers["Set-Cookie"] = res.cookies
		}
		return &scfResponse{
			IsBase64Encoded: res.base64,
			StatusCode:      res.status,
			Headers:         headers,
			Body:            res.body,
		}, nil
	}
}

// lambdaURLResponse is a Lambda function URL (and API Gateway HTTP API payload 2.0) response,
// encoded as aws-lambda-go's events.LambdaFunctionURLResponse is; the shape is declared here so
// that SCF builds, which leave out aws-lambda-go, answer these events too.
type lambdaURLResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Cookies         []string          `json:"cookies"`
}

// lambdaProxyResponse is an API Gateway REST (payload 1.0) response, encoded as aws-lambda-go's
// events.APIGatewayProxyResponse is.
type lambdaProxyResponse struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded,omitempty"`
}

// scfResponse is Tencent's API gateway integration response, which SCF function URLs share.
// A header's value is a string, or for Set-Cookie with several cookies an array of strings.
type scfResponse struct {
	IsBase64Encoded bool           `json:"isBase64Encoded"`
	StatusCode      int            `json:"statusCode"`
	Headers         map[string]any `json:"headers"`
	Body            string         `json:"body"`
}

// problem is the RFC 9457 problem document the adapters answer with when an event cannot be
// served; its shape and codes match those of shared/httpapi.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// writeProblem answers with a problem document.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	b, err := json.Marshal(problem{
		Type:   "urn:uriba:problem:" + code,
		Title:  http.StatusText(status),
		Status: status,
		Code:   code,
		Detail: detail,
	})
	if err != nil {
		panic(err) // A struct of strings and an int always encodes.
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
