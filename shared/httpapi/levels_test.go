package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/levels/levelstest"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// brokenStore is a level reader whose store is down.
type brokenStore struct{}

func (brokenStore) Get(context.Context, string) (levels.Level, error) {
	return levels.Level{}, &store.Error{Op: "Get", Key: "levels#user#bob", Kind: store.ErrUnavailable, Err: errors.New("dial tcp 10.0.0.7:6379: refused")}
}

func TestLevelEndpoint(t *testing.T) {
	u := levelstest.Updater(t)
	if failed, err := u.Apply(context.Background(), []live.Activity{
		{ID: "room-1/1", RoomID: "room-1", UserID: "bob", Kind: live.KindPurchase, Amount: 5, At: time.Now()},
	}); err != nil || failed != nil {
		t.Fatal(failed, err)
	}
	merchants := MerchantKeys{Digests: [][32]byte{sha256.Sum256([]byte("mk_test"))}}
	rt := newTestRouter()
	Levels{Reader: u, Merchants: merchants}.Register(rt)
	auth := map[string]string{"Authorization": "Bearer mk_test"}

	for user, want := range map[string]levels.Level{
		"bob":      {UserID: "bob", XP: 250, Level: 3, NextLevelXP: 450},
		"newcomer": {UserID: "newcomer", XP: 0, Level: 1, NextLevelXP: 50},
	} {
		rec := serve(rt, "GET", "/v1/users/"+user+"/level", "", auth)
		var got levels.Level
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got != want {
			t.Errorf("GET level of %s: %d %s, want %+v", user, rec.Code, rec.Body, want)
		}
		if user == "bob" && !strings.Contains(rec.Body.String(), `"nextLevelXp":450`) {
			t.Errorf("field names: %s", rec.Body)
		}
	}

	if rec := serve(rt, "GET", "/v1/users/bob/level", "", nil); rec.Code != 401 {
		t.Errorf("without a merchant key: %d", rec.Code)
	}
	long := strings.Repeat("x", 33)
	if rec := serve(rt, "GET", "/v1/users/"+long+"/level", "", auth); rec.Code != 400 || decodeProblem(t, rec).Code != live.EInvalid {
		t.Errorf("a 33-byte user ID: %d %s", rec.Code, rec.Body)
	}

	rt = newTestRouter()
	Levels{Reader: brokenStore{}, Merchants: merchants}.Register(rt)
	rec := serve(rt, "GET", "/v1/users/bob/level", "", auth)
	if p := decodeProblem(t, rec); rec.Code != 500 || strings.Contains(rec.Body.String(), "10.0.0.7") || strings.Contains(rec.Body.String(), "levels#") {
		t.Errorf("a store failure: %d %+v", rec.Code, p)
	}
}
