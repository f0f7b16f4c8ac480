package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/credential"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/roomstats"
)

func TestUndocumentedRoutes(t *testing.T) {
	doc := []byte(`{"openapi":"3.1.0","paths":{
		"/healthz":{"get":{}},
		"/v1/rooms":{"get":{},"post":{},"parameters":[]},
		"/v1/rooms/{roomId}":{"get":{},"head":{},"summary":"not an operation"},
		"/v1/files/{path}":{"get":{}},
		"/v1/gone":{"delete":{}},
		"/v1/any":{"patch":{}}
	}}`)
	cases := []struct {
		name           string
		routes         []string
		missing, extra []string
	}{
		{"all served and documented",
			[]string{"GET /healthz", "GET /v1/rooms", "POST /v1/rooms", "GET /v1/rooms/{roomId}", "GET /v1/files/{path...}", "DELETE /v1/gone", "/v1/any"},
			nil, nil},
		{"a route the document lacks, and operations nobody serves",
			[]string{"GET /healthz", "GET /v1/rooms", "PUT /v1/rooms/{roomId}/status", "GET /v1/files/{path}"},
			[]string{"PUT /v1/rooms/{roomId}/status"},
			[]string{"DELETE /v1/gone", "GET /v1/rooms/{roomId}", "HEAD /v1/rooms/{roomId}", "PATCH /v1/any", "POST /v1/rooms"}},
		{"parameter names must match",
			[]string{"GET /healthz", "GET /v1/rooms", "POST /v1/rooms", "GET /v1/rooms/{id}", "GET /v1/files/{path}", "DELETE /v1/gone", "/v1/any"},
			[]string{"GET /v1/rooms/{id}"},
			[]string{"GET /v1/rooms/{roomId}", "HEAD /v1/rooms/{roomId}"}},
		{"hosts, lower-case methods, {$} and duplicates",
			[]string{"get example.com/healthz", "GET /v1/rooms{$}", "GET /v1/rooms", "POST /v1/rooms", "GET /v1/rooms/{roomId}", "GET /v1/files/{path}", "DELETE /v1/gone", "PATCH /v1/any", "POST /v1/extra", "POST /v1/extra"},
			[]string{"POST /v1/extra"}, nil},
		{"a route without a method needs its path documented",
			[]string{"/v1/undocumented"},
			[]string{"* /v1/undocumented"},
			[]string{"DELETE /v1/gone", "GET /healthz", "GET /v1/files/{path}", "GET /v1/rooms", "GET /v1/rooms/{roomId}", "HEAD /v1/rooms/{roomId}", "PATCH /v1/any", "POST /v1/rooms"}},
	}
	for _, c := range cases {
		missing, extra := UndocumentedRoutes(doc, c.routes)
		if !slices.Equal(missing, c.missing) || !slices.Equal(extra, c.extra) {
			t.Errorf("%s:\n missing %q, want %q\n extra   %q, want %q", c.name, missing, c.missing, extra, c.extra)
		}
	}
	if missing, extra := UndocumentedRoutes([]byte("not json"), []string{"GET /healthz"}); !slices.Equal(missing, []string{"GET /healthz"}) || extra != nil {
		t.Errorf("broken document: %q %q", missing, extra)
	}
}

// TestOpenAPIDocumentsEveryRoute registers every endpoint uriba serves and holds the document to
// them. Routes of other packages are named by their patterns.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	rt := newTestRouter()
	Rooms{}.Register(rt)
	Credentials{}.Register(rt)
	rt.Handle(OpenAPIRoute, OpenAPI())
	Levels{}.Register(rt)
	Gifts{}.Register(rt)
	Streams{}.Register(rt)
	// imcallback.Handler.Register adds this route; that package imports this one.
	rt.Handle("POST /v1/callbacks/im", func(http.ResponseWriter, *http.Request) error { return nil })
	missing, extra := UndocumentedRoutes(OpenAPIDocument(), rt.Routes())
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes missing from the document: %q; documented but not served: %q", missing, extra)
	}
}

func TestOpenAPIEndpointServesTheDocument(t *testing.T) {
	rt := newTestRouter()
	rt.Handle(OpenAPIRoute, OpenAPI())
	rec := serve(rt, "GET", "/openapi.json", "", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != string(OpenAPIDocument()) {
		t.Fatalf("%d %s", rec.Code, rec.Header())
	}
}

// TestOpenAPIDocumentIsSound checks what a validator would: every reference resolves, every path
// parameter is declared, operation IDs are unique and every operation answers something.
func TestOpenAPIDocumentIsSound(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				refs = append(refs, r)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	for _, r := range refs {
		if resolve(doc, r) == nil {
			t.Errorf("unresolved $ref %s", r)
		}
	}
	ids := map[string]bool{}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc["paths"].(map[string]any) {
		pi := item.(map[string]any)
		for _, m := range openAPIMethods {
			op, ok := pi[m].(map[string]any)
			if !ok {
				continue
			}
			id, _ := op["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or repeated", m, path, id)
			}
			ids[id] = true
			if resp, _ := op["responses"].(map[string]any); len(resp) == 0 {
				t.Errorf("%s %s: no responses", m, path)
			}
			declared := map[string]bool{}
			for _, list := range []any{pi["parameters"], op["parameters"]} {
				ps, _ := list.([]any)
				for _, p := range ps {
					pm := p.(map[string]any)
					if r, ok := pm["$ref"].(string); ok {
						pm = resolve(doc, r).(map[string]any)
					}
					if pm["in"] == "path" {
						declared[pm["name"].(string)] = pm["required"] == true
					}
				}
			}
			for _, name := range param.FindAllStringSubmatch(path, -1) {
				if !declared[name[1]] {
					t.Errorf("%s %s: path parameter %s is not declared as required", m, path, name[1])
				}
			}
		}
	}
}

func resolve(doc map[string]any, ref string) any {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// TestOpenAPISchemasMatchTheWire marshals fully populated values and compares their JSON fields
// with the properties of the schemas that describe them, so that the document follows the code.
func TestOpenAPISchemasMatchTheWire(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
				Required   []string       `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	stock := int64(1)
	p := live.Product{ProductID: "p", Name: "n", Price: "1", Currency: "JPY", ImageURL: "https://a", URL: "https://b",
		Stock: &stock, SalePrice: "1", SaleEndsAt: &now}
	room := live.Room{ID: "r", Title: "t", AnchorID: "a", Status: live.StatusLive, StreamName: "s", Introduction: "i",
		Notice: "n", Product: &p, ScheduledStartAt: &now, ScheduledEndAt: &now, CreatedAt: now, StartedAt: &now,
		EndedAt: &now, Products: []live.PinnedProduct{{Product: p, PinnedAt: now, UnpinnedAt: &now}}, ProductsPinned: 1}
	values := map[string]any{
		"Product":           p,
		"PinnedProduct":     room.Products[0],
		"Room":              room,
		"RoomStats":         roomstats.Counts{},
		"RoomList":          rooms.Page{Rooms: []live.Room{room}, Next: "x"},
		"Summary":           rooms.Summary{StartedAt: &now, EndedAt: &now},
		"Gifter":            rooms.Gifter{},
		"CreateRoomRequest": CreateRoomRequest{},
		"SetStatusRequest":  SetStatusRequest{},
		"SetNoticeRequest":  SetNoticeRequest{Notice: new(string)},
		"Problem":           Problem{Detail: "d"},
		"UserSig":           credential.UserSig{},
		"Level":             levels.Level{},
	}
	for name, v := range values {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("no schema %s", name)
			continue
		}
		b, _ := json.Marshal(v)
		var fields map[string]any
		_ = json.Unmarshal(b, &fields)
		got, want := keys(fields), keys(schema.Properties)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the wire has %q, the schema %q", name, got, want)
		}
		for _, r := range schema.Required {
			if _, ok := fields[r]; !ok {
				t.Errorf("%s: required %s is not on the wire", name, r)
			}
		}
	}
	// A room with its stats is a room plus "stats" and "sales".
	b, _ := json.Marshal(rooms.View{Room: room})
	var fields map[string]any
	_ = json.Unmarshal(b, &fields)
	if _, ok := fields["stats"]; !ok || len(fields) != len(doc.Components.Schemas["Room"].Properties)+2 {
		t.Errorf("room with stats: %q", keys(fields))
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
