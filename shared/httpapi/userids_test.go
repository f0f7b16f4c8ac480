package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/credential"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/rooms/roomstest"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

// countingImporter imports accounts into the stand-in through the harness's counting IM client.
type countingImporter struct{ im *roomstest.CountingIM }

func (c countingImporter) ImportAccount(ctx context.Context, userID string, p credential.Profile) error {
	return c.im.AccountImport(ctx, tim.AccountImportRequest{UserID: userID, Nick: p.Nick, FaceURL: p.Avatar})
}

type harnessSigner struct{}

func (harnessSigner) Sign(userID string, ttl time.Duration) (string, time.Time, error) {
	return tim.GenUserSig(roomstest.AppID, roomstest.SecretKey, userID, ttl)
}

// credentialsAPI serves the UserSig endpoint over the IM stand-in; admin configures the issuer.
func credentialsAPI(t *testing.T, admin string) (*Router, *roomstest.Harness) {
	t.Helper()
	h := roomstest.New(t, roomstest.Options{})
	rt := newTestRouter()
	Credentials{
		Issuer:    &credential.Issuer{SDKAppID: roomstest.AppID, Admin: admin, Accounts: countingImporter{h.Counter}, Signer: harnessSigner{}},
		Merchants: MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte(testMerchantKey))}},
	}.Register(rt)
	return rt, h
}

var merchantAuth = map[string]string{"Authorization": "Bearer " + testMerchantKey}

func TestUserSigIsNeverIssuedForTheAdminOrIMsOwnAccounts(t *testing.T) {
	for _, c := range []struct {
		admin  string
		target string
	}{
		{"", "/v1/users/administrator/usersig"},
		{"administrator", "/v1/users/administrator/usersig"},
		{"administrator", "/v1/users/ADMINISTRATOR/usersig"},
		{"ops_admin", "/v1/users/ops_admin/usersig"},
		{"administrator", "/v1/users/%40TIM%23SYSTEM/usersig"},
		{"administrator", "/v1/users/%40TLS%23NOT_FOUND/usersig"},
		{"administrator", "/v1/users/" + strings.Repeat("u", 33) + "/usersig"},
	} {
		t.Run(c.target+" under "+c.admin, func(t *testing.T) {
			rt, h := credentialsAPI(t, c.admin)
			rec := serve(rt, "POST", c.target, "", merchantAuth)
			if p := decodeProblem(t, rec); rec.Code != 400 || p.Code != live.EInvalid {
				t.Fatalf("%d %+v, want 400 %s", rec.Code, p, live.EInvalid)
			}
			if strings.Contains(rec.Body.String(), "userSig") {
				t.Fatalf("the refusal carries a UserSig: %s", rec.Body)
			}
			if calls := h.Counter.Calls(); len(calls) != 0 {
				t.Fatalf("IM calls %q", calls)
			}
		})
	}

	rt, h := credentialsAPI(t, "administrator")
	rec := serve(rt, "POST", "/v1/users/mei/usersig", "", merchantAuth)
	var got credential.UserSig
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.UserID != "mei" || got.UserSig == "" {
		t.Fatalf("an ordinary viewer: %d %s", rec.Code, rec.Body)
	}
	if calls := h.Counter.Calls(); len(calls) != 1 || calls[0] != roomstest.CallImport {
		t.Fatalf("IM calls for an ordinary viewer %q", calls)
	}
}

// TestRoomsRefuseHostileIDs creates rooms with anchors and room IDs that must not reach IM, and
// checks that each is a 400 that changes nothing.
func TestRoomsRefuseHostileIDs(t *testing.T) {
	a := newRoomsAPI(t)
	opsAdmin := roomstest.New(t, roomstest.Options{Config: rooms.Config{Admin: "ops_admin"}})
	opsRouter := newTestRouter()
	Rooms{Service: opsAdmin.Service, Merchants: MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte(testMerchantKey))}}}.Register(opsRouter)

	for _, c := range []struct {
		name, body, detail string
		harness            *roomstest.Harness
		rt                 *Router
	}{
		{"the admin as anchor", `{"roomId":"r1","title":"t","anchorId":"administrator"}`, "anchorId", a.Harness, a.rt},
		{"the admin in capitals as anchor", `{"roomId":"r1","title":"t","anchorId":"Administrator"}`, "anchorId", a.Harness, a.rt},
		{"the admin as anchor of a room with a generated ID", `{"title":"t","anchorId":"administrator"}`, "admin", a.Harness, a.rt},
		{"IM's system sender as anchor", `{"roomId":"r1","title":"t","anchorId":"@TIM#SYSTEM"}`, "@TIM#", a.Harness, a.rt},
		{"a configured admin as anchor", `{"roomId":"r1","title":"t","anchorId":"ops_admin"}`, "anchorId", opsAdmin, opsRouter},
		{"room ID ..", `{"roomId":"..","title":"t","anchorId":"a"}`, "roomId", a.Harness, a.rt},
		{"room ID .", `{"roomId":".","title":"t","anchorId":"a"}`, "roomId", a.Harness, a.rt},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := c.harness.Memory.Snapshot()
			c.harness.Counter.Reset()
			rec := serve(c.rt, "POST", "/v1/rooms", c.body, merchantAuth)
			if p := decodeProblem(t, rec); rec.Code != 400 || p.Code != live.EInvalid || !strings.Contains(p.Detail, c.detail) {
				t.Fatalf("%d %+v, want 400 %s naming %q", rec.Code, p, live.EInvalid, c.detail)
			}
			if loc := rec.Header().Get("Location"); loc != "" {
				t.Fatalf("Location %q", loc)
			}
			if calls := c.harness.Counter.Calls(); len(calls) != 0 {
				t.Fatalf("IM calls %q", calls)
			}
			if after := c.harness.Memory.Snapshot(); !maps.Equal(before, after) {
				t.Fatalf("the store changed: %v", after)
			}
		})
	}

	// Dots are fine where they do not make a whole segment.
	rec := a.do("POST", "/v1/rooms", `{"roomId":"...","title":"t","anchorId":"a"}`)
	if loc := rec.Header().Get("Location"); rec.Code != 201 || loc != "/v1/rooms/..." {
		t.Fatalf("room ID ...: %d %q %s", rec.Code, loc, rec.Body)
	}
	if got := a.must(t, 200, "GET", "/v1/rooms/...", ""); got["roomId"] != "..." {
		t.Fatalf("get: %v", got)
	}
}

// countingLevels is a level reader that counts its reads.
type countingLevels struct{ reads atomic.Int32 }

func (c *countingLevels) Get(_ context.Context, userID string) (levels.Level, error) {
	c.reads.Add(1)
	return levels.Level{UserID: userID, Level: 1, NextLevelXP: 50}, nil
}

func TestLevelIsNotReadForTheAdminOrIMsOwnAccounts(t *testing.T) {
	merchants := MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte(testMerchantKey))}}
	for _, c := range []struct{ admin, target string }{
		{"", "/v1/users/administrator/level"},
		{"administrator", "/v1/users/administrator/level"},
		{"ops_admin", "/v1/users/ops_admin/level"},
		{"administrator", "/v1/users/%40TIM%23SYSTEM/level"},
		{"administrator", "/v1/users/%40TLS%23NOT_FOUND/level"},
	} {
		reader := &countingLevels{}
		rt := newTestRouter()
		Levels{Reader: reader, Merchants: merchants, Admin: c.admin}.Register(rt)
		rec := serve(rt, "GET", c.target, "", merchantAuth)
		if p := decodeProblem(t, rec); rec.Code != 400 || p.Code != live.EInvalid {
			t.Errorf("%s under admin %q: %d %+v", c.target, c.admin, rec.Code, p)
		}
		if n := reader.reads.Load(); n != 0 {
			t.Errorf("%s under admin %q: %d reads", c.target, c.admin, n)
		}
	}
}

func TestAuthenticationPutsTheCallerInTheContext(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) error {
		c, ok := CallerFrom(r.Context())
		return WriteJSON(w, 200, map[string]any{"ok": ok, "role": c.Role, "key": c.KeySHA256[:], "user": c.UserID, "viewer": ViewerID(r.Context())})
	}
	viewers := Viewers{Verify: func(userID, sig string, now time.Time) error { return nil }}
	rt := newTestRouter()
	rt.Handle("GET /m", MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte(testMerchantKey))}}.Require(echo))
	rt.Handle("GET /v", viewers.Require(echo))
	rt.Handle("GET /anyone", echo)

	type seen struct {
		OK     bool   `json:"ok"`
		Role   Role   `json:"role"`
		Key    []byte `json:"key"`
		User   string `json:"user"`
		Viewer string `json:"viewer"`
	}
	get := func(target string, header map[string]string) seen {
		t.Helper()
		rec := serve(rt, "GET", target, "", header)
		var s seen
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &s) != nil {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		return s
	}
	sum := sha256.Sum256([]byte(testMerchantKey))
	if s := get("/m", merchantAuth); !s.OK || s.Role != RoleMerchant || string(s.Key) != string(sum[:]) || s.User != "" || s.Viewer != "" {
		t.Errorf("merchant: %+v", s)
	}
	if s := get("/v", map[string]string{"Authorization": "UserSig sig", "X-User-Id": "mei"}); !s.OK || s.Role != RoleViewer || s.User != "mei" || s.Viewer != "mei" {
		t.Errorf("viewer: %+v", s)
	}
	if s := get("/anyone", map[string]string{"Authorization": "Bearer " + testMerchantKey, "X-User-Id": "mei"}); s.OK || s.Viewer != "" {
		t.Errorf("headers without authentication made a caller: %+v", s)
	}

	// No viewer may act as the admin or as one of IM's own accounts, whatever its UserSig.
	for _, id := range []string{"administrator", "@TIM#SYSTEM", "@TLS#NOT_FOUND"} {
		rec := serve(rt, "GET", "/v", "", map[string]string{"Authorization": "UserSig sig", "X-User-Id": id})
		if p := decodeProblem(t, rec); rec.Code != 400 || p.Code != live.EInvalid || !strings.Contains(p.Detail, "X-User-Id") {
			t.Errorf("viewer %q: %d %+v", id, rec.Code, p)
		}
	}
	rt.Handle("GET /ops", Viewers{Admin: "ops_admin", Verify: viewers.Verify}.Require(echo))
	if rec := serve(rt, "GET", "/ops", "", map[string]string{"Authorization": "UserSig sig", "X-User-Id": "ops_admin"}); rec.Code != 400 {
		t.Errorf("viewer as the configured admin: %d", rec.Code)
	}
}

func TestViewersIdempotencyKeysAreTheirOwn(t *testing.T) {
	var runs atomic.Int32
	kv := memstore.New(nil)
	rt := newTestRouter()
	viewers := Viewers{Verify: func(userID, sig string, now time.Time) error { return nil }}
	rt.Handle("POST /v1/things", viewers.Require(Idempotency{Store: kv}.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		return WriteJSON(w, 201, map[string]any{"by": ViewerID(r.Context()), "run": runs.Add(1)})
	})))
	as := func(user string) (int, string, string) {
		rec := serve(rt, "POST", "/v1/things", `{}`, map[string]string{"Authorization": "UserSig sig", "X-User-Id": user, IdempotencyKeyHeader: "k"})
		return rec.Code, rec.Body.String(), rec.Header().Get(ReplayedHeader)
	}
	_, mei, _ := as("mei")
	code, ken, replayed := as("ken")
	if code != 201 || replayed != "" || !strings.Contains(ken, `"by":"ken"`) {
		t.Fatalf("another viewer's key: %d %s replayed %q", code, ken, replayed)
	}
	if code, again, replayed := as("mei"); code != 201 || replayed != "true" || again != mei {
		t.Fatalf("the same viewer's key: %d %s replayed %q, first %s", code, again, replayed, mei)
	}
	if n := runs.Load(); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
}

func TestIdempotencyOutsideAuthenticationStoresNothing(t *testing.T) {
	var runs atomic.Int32
	kv := memstore.New(nil)
	rt := newTestRouter()
	rt.Handle("POST /open", Idempotency{Store: kv}.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		runs.Add(1)
		return WriteJSON(w, 200, "ok")
	}))
	rec := serve(rt, "POST", "/open", `{}`, map[string]string{"Authorization": "Bearer " + testMerchantKey, IdempotencyKeyHeader: "k"})
	if p := decodeProblem(t, rec); rec.Code != 500 || p.Code != live.EInternal {
		t.Fatalf("a key without a caller: %d %+v", rec.Code, p)
	}
	if runs.Load() != 0 || len(kv.Snapshot()) != 0 {
		t.Fatalf("%d runs, records %v", runs.Load(), kv.Snapshot())
	}
	if rec := serve(rt, "POST", "/open", `{}`, nil); rec.Code != 200 || runs.Load() != 1 {
		t.Fatalf("without a key: %d, %d runs", rec.Code, runs.Load())
	}
}

// TestUserSigSetsTheNameAndFaceViewersSee issues UserSigs with a profile and reads it back from
// IM: the nickname and avatar are set in the import call itself, and a profile beyond IM's limits
// is refused before anything reaches IM.
func TestUserSigSetsTheNameAndFaceViewersSee(t *testing.T) {
	rt, h := credentialsAPI(t, "administrator")
	rec := serve(rt, "POST", "/v1/users/mei/usersig", `{"nick":"メイ","avatar":"https://img.example.com/mei.png"}`, merchantAuth)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if calls := h.Counter.Calls(); len(calls) != 1 || calls[0] != roomstest.CallImport {
		t.Fatalf("IM calls %q, want the one import", calls)
	}
	profile, ok := h.IM.Profile("mei")
	if !ok || string(profile[tim.TagNick]) != `"メイ"` || string(profile[tim.TagImage]) != `"https://img.example.com/mei.png"` {
		t.Fatalf("profile %s", profile)
	}
	// A later UserSig without a profile keeps the name.
	serve(rt, "POST", "/v1/users/mei/usersig", "", merchantAuth)
	if profile, _ = h.IM.Profile("mei"); string(profile[tim.TagNick]) != `"メイ"` {
		t.Fatalf("a UserSig without a profile changed the nickname: %s", profile)
	}

	for _, c := range []struct{ body, detail string }{
		{`{"nick":"` + strings.Repeat("あ", 22) + `"}`, "nick"}, // 66 bytes
		{`{"nick":"a\u0007b"}`, "nick"},
		{`{"avatar":"http://img.example.com/mei.png"}`, "https"},
		{`{"avatar":"javascript:alert(1)"}`, "https"},
		{`{"avatar":"https://img.example.com/` + strings.Repeat("x", 480) + `"}`, "500"},
		{`{"nickname":"Mei"}`, "nickname"},
	} {
		h.Counter.Reset()
		rec := serve(rt, "POST", "/v1/users/ken/usersig", c.body, merchantAuth)
		if p := decodeProblem(t, rec); rec.Code != 400 || !strings.Contains(p.Detail, c.detail) {
			t.Errorf("%s: %d %+v, want 400 naming %q", c.body, rec.Code, p, c.detail)
		}
		if calls := h.Counter.Calls(); len(calls) != 0 {
			t.Errorf("%s: IM calls %q", c.body, calls)
		}
	}
}
