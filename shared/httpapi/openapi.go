package httpapi

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// openAPIDocument is the OpenAPI 3.1 description of every endpoint uriba serves.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIRoute is the pattern at which OpenAPI's endpoint is registered.
const OpenAPIRoute = "GET /openapi.json"

// OpenAPIDocument returns a copy of the OpenAPI 3.1 document of uriba's HTTP API.
func OpenAPIDocument() []byte { return slices.Clone(openAPIDocument) }

// OpenAPI returns the endpoint that serves the OpenAPI document; register it at OpenAPIRoute.
func OpenAPI() HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, err := w.Write(openAPIDocument)
		return err
	}
}

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// UndocumentedRoutes compares the routes a Router serves (Router.Routes, patterns such as
// "POST /v1/users/{userId}/usersig") with the operations an OpenAPI document describes. missing
// lists the routes the document lacks, extra the documented operations no route serves, both as
// sorted "METHOD /path/{param}" strings.
//
// Patterns are compared as net/http reads them: a host is ignored, "{name...}" is "{name}", a
// trailing "{$}" is dropped, a GET route also serves HEAD, and a route without a method serves
// every method of its path. Parameter names must match. A document that is not JSON describes
// nothing, so every route is missing.
func UndocumentedRoutes(doc []byte, routes []string) (missing, extra []string) {
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	_ = json.Unmarshal(doc, &d)
	documented := map[string]bool{} // "METHOD /path"
	docPaths := map[string]bool{}
	for path, item := range d.Paths {
		for _, m := range openAPIMethods {
			if _, ok := item[m]; ok {
				documented[strings.ToUpper(m)+" "+path] = true
				docPaths[path] = true
			}
		}
	}

	served := map[string]bool{}    // "METHOD /path"
	anyMethod := map[string]bool{} // paths served for every method
	for _, r := range routes {
		method, path := splitPattern(r)
		if method == "" {
			anyMethod[path] = true
			if !docPaths[path] {
				missing = append(missing, "* "+path)
			}
			continue
		}
		op := method + " " + path
		served[op] = true
		if method == http.MethodGet {
			served["HEAD "+path] = true
		}
		if !documented[op] {
			missing = append(missing, op)
		}
	}
	for op := range documented {
		_, path, _ := strings.Cut(op, " ")
		if !served[op] && !anyMethod[path] {
			extra = append(extra, op)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return slices.Compact(missing), extra
}

// splitPattern returns the method (upper case, "" for none) and the path of a net/http pattern,
// with the host removed and wildcards normalised.
func splitPattern(pattern string) (method, path string) {
	pattern = strings.TrimSpace(pattern)
	if m, rest, ok := strings.Cut(pattern, " "); ok && !strings.Contains(m, "/") {
		method, pattern = strings.ToUpper(m), strings.TrimSpace(rest)
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // drop a host
	}
	pattern = strings.TrimSuffix(pattern, "{$}")
	pattern = strings.ReplaceAll(pattern, "...}", "}")
	return method, pattern
}
