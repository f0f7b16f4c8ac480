package httpapi

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms/roomstest"
)

const testMerchantKey = "mk_rooms_test"

// roomsAPI is the room endpoints over the rooms service, the IM stand-in and an in-memory store.
type roomsAPI struct {
	*roomstest.Harness
	rt *Router
}

func newRoomsAPI(t *testing.T) *roomsAPI {
	t.Helper()
	h := roomstest.New(t, roomstest.Options{})
	rt := newTestRouter()
	Rooms{
		Service:     h.Service,
		Merchants:   MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte(testMerchantKey))}},
		Idempotency: Idempotency{Store: h.Memory},
	}.Register(rt)
	return &roomsAPI{Harness: h, rt: rt}
}

// do sends a merchant request; extra headers may override Authorization.
func (a *roomsAPI) do(method, target, body string, header ...string) *httptest.ResponseRecorder {
	h := map[string]string{"Authorization": "Bearer " + testMerchantKey}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = header[i+1]
	}
	if h["Authorization"] == "" {
		delete(h, "Authorization")
	}
	return serve(a.rt, method, target, body, h)
}

func (a *roomsAPI) must(t *testing.T, status int, method, target, body string, header ...string) map[string]any {
	t.Helper()
	rec := a.do(method, target, body, header...)
	if rec.Code != status {
		t.Fatalf("%s %s: %d %s, want %d", method, target, rec.Code, rec.Body, status)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body %s: %v", method, target, rec.Body, err)
	}
	return out
}

const productJSON = `{"productId":"sku-1","name":"抹茶ラテ 200g","price":"1980","currency":"JPY","imageUrl":"https://img.example.com/a.png","url":"https://shop.example.com/p/1","stock":30}`

func TestRoomEndpoints(t *testing.T) {
	a := newRoomsAPI(t)

	rec := a.do("POST", "/v1/rooms", `{"roomId":"spring-sale","title":"春のセール","anchorId":"anchor_1","scheduledEndAt":"2025-05-01T21:00:00+09:00"}`)
	if rec.Code != 201 || rec.Header().Get("Location") != "/v1/rooms/spring-sale" {
		t.Fatalf("create: %d %s %s", rec.Code, rec.Header(), rec.Body)
	}
	var room live.Room
	if err := json.Unmarshal(rec.Body.Bytes(), &room); err != nil || room.Status != live.StatusCreated ||
		room.ScheduledEndAt.Format("15:04Z07:00") != "12:00Z" {
		t.Fatalf("created room %s: %v", rec.Body, err)
	}
	if g, ok := a.IM.Group("spring-sale"); !ok || g.Fields["room_status"] != "created" {
		t.Fatalf("group %+v", g)
	}

	got := a.must(t, 200, "GET", "/v1/rooms/spring-sale", "")
	if got["title"] != "春のセール" || got["stats"] == nil {
		t.Fatalf("get: %v", got)
	}
	list := a.must(t, 200, "GET", "/v1/rooms?status=created", "")
	if rs := list["rooms"].([]any); len(rs) != 1 {
		t.Fatalf("list: %v", list)
	}
	if rs := a.must(t, 200, "GET", "/v1/rooms?status=live", "")["rooms"].([]any); len(rs) != 0 {
		t.Fatalf("live rooms: %v", rs)
	}

	viewer := a.Subscribe("spring-sale", "viewer_1")
	if got := a.must(t, 200, "PUT", "/v1/rooms/spring-sale/status", `{"status":"live"}`); got["status"] != "live" || got["startedAt"] == nil {
		t.Fatalf("status: %v", got)
	}
	if f := viewer.ProfileTip(t).NewGroupProfile.GroupCustomField; len(f) != 1 || f[0].Key != "room_status" || f[0].Value != "live" {
		t.Fatalf("tip fields %+v", f)
	}
	if got := a.must(t, 200, "PUT", "/v1/rooms/spring-sale/notice", `{"notice":"Free shipping today"}`); got["notice"] != "Free shipping today" {
		t.Fatalf("notice: %v", got)
	}
	if got := a.must(t, 200, "POST", "/v1/rooms/spring-sale/products", productJSON); got["product"] == nil {
		t.Fatalf("pin: %v", got)
	}
	if g, _ := a.IM.Group("spring-sale"); g.Fields["ADD_GOODS"] != productJSON {
		t.Fatalf("ADD_GOODS %q", g.Fields["ADD_GOODS"])
	}
	if got := a.must(t, 200, "DELETE", "/v1/rooms/spring-sale/products/current", ""); got["product"] != nil {
		t.Fatalf("unpin: %v", got)
	}
	a.must(t, 200, "PUT", "/v1/rooms/spring-sale/status", `{"status":"ended"}`)
	sum := a.must(t, 200, "GET", "/v1/rooms/spring-sale/summary", "")
	if sum["productsPinned"] != 1.0 || sum["status"] != "ended" || sum["topGifters"] == nil {
		t.Fatalf("summary: %v", sum)
	}
}

// TestIMCallsPerEndpoint counts the IM calls each endpoint makes.
func TestIMCallsPerEndpoint(t *testing.T) {
	a := newRoomsAPI(t)
	steps := []struct {
		method, target, body string
		status               int
		calls                []string
	}{
		{"POST", "/v1/rooms", `{"roomId":"r1","title":"t","anchorId":"a"}`, 201, []string{roomstest.CallImport, roomstest.CallCreate}},
		{"GET", "/v1/rooms/r1", "", 200, nil},
		{"GET", "/v1/rooms", "", 200, nil},
		{"PUT", "/v1/rooms/r1/status", `{"status":"live"}`, 200, []string{"set_field room_status"}},
		{"PUT", "/v1/rooms/r1/status", `{"status":"live"}`, 200, nil},
		{"PUT", "/v1/rooms/r1/notice", `{"notice":"hi"}`, 200, []string{roomstest.CallNotification}},
		{"POST", "/v1/rooms/r1/products", productJSON, 200, []string{"set_field ADD_GOODS"}},
		{"DELETE", "/v1/rooms/r1/products/current", "", 200, []string{"set_field ADD_GOODS"}},
		{"DELETE", "/v1/rooms/r1/products/current", "", 200, nil},
		{"PUT", "/v1/rooms/r1/status", `{"status":"paused"}`, 200, []string{"set_field room_status"}},
		{"PUT", "/v1/rooms/r1/status", `{"status":"ended"}`, 200, []string{"set_field room_status"}},
		{"GET", "/v1/rooms/r1/summary", "", 200, nil},
	}
	for _, s := range steps {
		a.Counter.Reset()
		rec := a.do(s.method, s.target, s.body)
		if rec.Code != s.status {
			t.Fatalf("%s %s: %d %s", s.method, s.target, rec.Code, rec.Body)
		}
		if got := a.Counter.Calls(); !slices.Equal(got, s.calls) {
			t.Errorf("%s %s %s: IM calls %q, want %q", s.method, s.target, s.body, got, s.calls)
		}
	}
}

// TestRoomEndpointsRefuseBadInput sends each kind of bad request and checks its status and
// code, and that neither IM nor the store changed.
func TestRoomEndpointsRefuseBadInput(t *testing.T) {
	a := newRoomsAPI(t)
	a.must(t, 201, "POST", "/v1/rooms", `{"roomId":"open","title":"t","anchorId":"a"}`)
	a.must(t, 201, "POST", "/v1/rooms", `{"roomId":"ended","title":"t","anchorId":"a"}`)
	a.must(t, 200, "PUT", "/v1/rooms/ended/status", `{"status":"ended"}`)

	longURL := "https://shop.example.com/p/" + strings.Repeat("x", 420)
	huge := strings.Replace(productJSON, `"https://shop.example.com/p/1"`, `"`+longURL+`"`, 1)
	var hp live.Product
	if err := json.Unmarshal([]byte(huge), &hp); err != nil {
		t.Fatal(err)
	}
	excess := len(huge) - live.MaxProductFieldBytes
	cases := []struct {
		name, method, target, body string
		header                     []string
		status                     int
		code, detail               string
	}{
		{"no merchant key", "POST", "/v1/rooms", `{"roomId":"new","title":"t","anchorId":"a"}`, []string{"Authorization", ""}, 401, live.EUnauthorized, ""},
		{"wrong merchant key", "PUT", "/v1/rooms/open/status", `{"status":"live"}`, []string{"Authorization", "Bearer nope"}, 401, live.EUnauthorized, ""},
		{"no merchant key to read", "GET", "/v1/rooms/open", "", []string{"Authorization", ""}, 401, live.EUnauthorized, ""},
		{"unknown room", "GET", "/v1/rooms/nope", "", nil, 404, live.ENotFound, "nope"},
		{"unknown room status", "PUT", "/v1/rooms/nope/status", `{"status":"live"}`, nil, 404, live.ENotFound, ""},
		{"unknown room summary", "GET", "/v1/rooms/nope/summary", "", nil, 404, live.ENotFound, ""},
		{"title of 31 bytes", "POST", "/v1/rooms", `{"roomId":"new","title":"` + strings.Repeat("t", 31) + `","anchorId":"a"}`, nil, 400, live.EInvalid, "31 bytes"},
		{"room ID starting with @TGS#", "POST", "/v1/rooms", `{"roomId":"@TGS#x","title":"t","anchorId":"a"}`, nil, 400, live.EInvalid, "@TGS#"},
		{"room ID taken", "POST", "/v1/rooms", `{"roomId":"open","title":"t","anchorId":"a"}`, nil, 409, live.EConflict, "in use"},
		{"no anchor", "POST", "/v1/rooms", `{"roomId":"new","title":"t"}`, nil, 400, live.EInvalid, "anchorId"},
		{"bad schedule", "POST", "/v1/rooms", `{"title":"t","anchorId":"a","scheduledEndAt":"tomorrow"}`, nil, 400, live.EInvalid, "RFC 3339"},
		{"unknown field", "POST", "/v1/rooms", `{"title":"t","anchorId":"a","owner":"x"}`, nil, 400, live.EMalformedJSON, ""},
		{"notice of 301 bytes", "PUT", "/v1/rooms/open/notice", `{"notice":"` + strings.Repeat("n", 301) + `"}`, nil, 400, live.EInvalid, "301 bytes"},
		{"notice missing", "PUT", "/v1/rooms/open/notice", `{}`, nil, 400, live.EInvalid, "required"},
		{"invalid UTF-8", "PUT", "/v1/rooms/open/notice", "{\"notice\":\"caf\xe9\"}", nil, 400, live.EMalformedJSON, "UTF-8"},
		{"product over 512 bytes", "POST", "/v1/rooms/open/products", huge, nil, 422, live.EUnprocessable, fmt.Sprintf("%d more than the 512", excess)},
		{"negative price", "POST", "/v1/rooms/open/products", strings.Replace(productJSON, `"1980"`, `-1980`, 1), nil, 400, live.EInvalid, "negative"},
		{"currency yen", "POST", "/v1/rooms/open/products", strings.Replace(productJSON, `"JPY"`, `"yen"`, 1), nil, 400, live.EInvalid, "ISO 4217"},
		{"pin on an ended room", "POST", "/v1/rooms/ended/products", productJSON, nil, 409, live.EConflict, "ended"},
		{"unpin on an ended room", "DELETE", "/v1/rooms/ended/products/current", "", nil, 409, live.EConflict, "ended"},
		{"ended to live", "PUT", "/v1/rooms/ended/status", `{"status":"live"}`, nil, 409, live.EConflict, "ended"},
		{"created to paused", "PUT", "/v1/rooms/open/status", `{"status":"paused"}`, nil, 409, live.EConflict, ""},
		{"unknown status", "PUT", "/v1/rooms/open/status", `{"status":"closed"}`, nil, 400, live.EInvalid, "closed"},
		{"bad list status", "GET", "/v1/rooms?status=closed", "", nil, 400, live.EInvalid, ""},
		{"bad list limit", "GET", "/v1/rooms?limit=0", "", nil, 400, live.EInvalid, "limit"},
		{"bad idempotency key", "POST", "/v1/rooms", `{"title":"t","anchorId":"a"}`, []string{"Idempotency-Key", "ключ"}, 400, live.EInvalid, "Idempotency-Key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := a.Memory.Snapshot()
			groups := fmt.Sprint(a.IM.Group("open"))
			endedGroup := fmt.Sprint(a.IM.Group("ended"))
			a.Counter.Reset()
			rec := a.do(c.method, c.target, c.body, c.header...)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.status, rec.Body)
			}
			p := decodeProblem(t, rec)
			if p.Code != c.code || !strings.Contains(p.Detail, c.detail) {
				t.Fatalf("problem %+v, want code %s and detail with %q", p, c.code, c.detail)
			}
			if calls := a.Counter.Calls(); len(calls) != 0 {
				t.Fatalf("IM calls %q", calls)
			}
			if after := a.Memory.Snapshot(); !maps.Equal(before, after) {
				t.Fatalf("the store changed: %v", after)
			}
			if _, ok := a.IM.Group("new"); ok || fmt.Sprint(a.IM.Group("open")) != groups || fmt.Sprint(a.IM.Group("ended")) != endedGroup {
				t.Fatal("IM changed")
			}
		})
	}
}

func TestListPages(t *testing.T) {
	a := newRoomsAPI(t)
	for _, id := range []string{"a", "b", "c"} {
		a.must(t, 201, "POST", "/v1/rooms", `{"roomId":"`+id+`","title":"t","anchorId":"x"}`)
	}
	page := a.must(t, 200, "GET", "/v1/rooms?limit=2", "")
	if len(page["rooms"].([]any)) != 2 || page["next"] != "b" {
		t.Fatalf("first page %v", page)
	}
	page = a.must(t, 200, "GET", "/v1/rooms?limit=2&after=b", "")
	if rs := page["rooms"].([]any); len(rs) != 1 || rs[0].(map[string]any)["roomId"] != "c" || page["next"] != nil {
		t.Fatalf("second page %v", page)
	}
}

func TestRoomIDsWithSlashesRoundTrip(t *testing.T) {
	a := newRoomsAPI(t)
	rec := a.do("POST", "/v1/rooms", `{"roomId":"shop/1 sale%","title":"t","anchorId":"a"}`)
	loc := rec.Header().Get("Location")
	if rec.Code != 201 || loc != "/v1/rooms/shop%2F1%20sale%25" {
		t.Fatalf("create: %d %q %s", rec.Code, loc, rec.Body)
	}
	if got := a.must(t, 200, "GET", loc, ""); got["roomId"] != "shop/1 sale%" {
		t.Fatalf("get: %v", got)
	}
	a.must(t, 200, "PUT", loc+"/status", `{"status":"live"}`)
	if g, _ := a.IM.Group("shop/1 sale%"); g.Fields["room_status"] != "live" {
		t.Fatalf("group %+v", g)
	}
	if rs := a.must(t, 200, "GET", "/v1/rooms?status=live", "")["rooms"].([]any); len(rs) != 1 {
		t.Fatalf("live rooms %v", rs)
	}
}
