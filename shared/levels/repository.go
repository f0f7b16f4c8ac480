package levels

import (
	"context"
	"encoding/json"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// Level is a user's standing: total XP, the level it gives, and the total XP the next level
// needs (0 at the highest level).
type Level struct {
	UserID      string `json:"userId"`
	XP          int64  `json:"xp"`
	Level       int    `json:"level"`
	NextLevelXP int64  `json:"nextLevelXp"`
}

// Repository keeps user level records in a store.KV, one JSON value per user under
// "levels#user#<escaped user ID>". Its methods are safe for concurrent use.
//
// Each store operation is one call of the port, never repeated here: retrying transient failures
// is the store adapter's job, so one operation makes exactly the attempts of one store call (at
// most 1 on bolt, 3 on DynamoDB and 4 on Redis; see the store package). A call that fails with
// store.ErrUnavailable has spent them and fails the user's activities for redelivery by the
// queue. Every write is conditional, so a write whose reply was lost and which the adapter
// repeated, or which a redelivery repeats, is detected and never applied twice.
type Repository struct {
	kv    store.KV
	rules live.LevelRules
}

// NewRepository returns a Repository over kv that computes levels with rules.
func NewRepository(kv store.KV, rules live.LevelRules) *Repository {
	return &Repository{kv: kv, rules: rules}
}

// Get returns the standing of userID. A user never seen is at level 1 with no XP. The level is
// computed from the XP with the current rules, so a change of the curve shows at once.
func (r *Repository) Get(ctx context.Context, userID string) (Level, error) {
	if userID == "" {
		return Level{}, live.Errorf(live.EInvalid, "A user ID is required.")
	}
	rec, _, _, err := r.load(ctx, userID)
	if err != nil {
		return Level{}, err
	}
	level, next := r.rules.Level(rec.XP)
	return Level{UserID: userID, XP: rec.XP, Level: level, NextLevelXP: next}, nil
}

// load reads userID's record and returns it with its stored bytes, which a later write compares
// against, and whether it exists.
func (r *Repository) load(ctx context.Context, userID string) (rec record, raw []byte, found bool, err error) {
	key := recordKey(userID)
	raw, found, err = r.kv.Get(ctx, key)
	if err != nil {
		return record{}, nil, false, err
	}
	rec, err = decodeRecord(raw)
	if err != nil {
		return record{}, nil, false, &store.Error{Op: "decode level record", Key: key, Kind: store.ErrFailed, Err: err}
	}
	return rec, raw, found, nil
}

// save writes rec for userID, provided the stored record is still old (or still absent when
// found is false). It returns the bytes written and whether the write happened; false means
// another writer changed the record first.
func (r *Repository) save(ctx context.Context, userID string, old []byte, found bool, rec *record) ([]byte, bool, error) {
	key := recordKey(userID)
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, false, err
	}
	var ok bool
	if found {
		ok, err = r.kv.CompareAndSwap(ctx, key, old, raw, 0)
	} else {
		ok, err = r.kv.PutIfAbsent(ctx, key, raw, 0)
	}
	return raw, ok && err == nil, err
}
