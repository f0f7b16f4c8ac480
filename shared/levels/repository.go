package levels

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

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

// Defaults of the store retry policy.
const (
	DefaultStoreAttempts = 4
	DefaultRetryDelay    = 25 * time.Millisecond
)

// Repository keeps user level records in a store.KV, one JSON value per user under
// "levels#user#<escaped user ID>". A store call that fails with store.ErrUnavailable (throttling,
// a timeout, a lost connection) is repeated with a doubling, jittered delay; every write is
// conditional, so a repeated write that had in fact been applied is detected, never applied
// twice. Its methods are safe for concurrent use.
type Repository struct {
	kv       store.KV
	rules    live.LevelRules
	attempts int
	delay    time.Duration
}

// NewRepository returns a Repository over kv that computes levels with rules. attempts bounds
// the calls of one store operation, the first included, and delay is the pause before the first
// repeat; zero values take DefaultStoreAttempts and DefaultRetryDelay.
func NewRepository(kv store.KV, rules live.LevelRules, attempts int, delay time.Duration) *Repository {
	if attempts <= 0 {
		attempts = DefaultStoreAttempts
	}
	if delay <= 0 {
		delay = DefaultRetryDelay
	}
	return &Repository{kv: kv, rules: rules, attempts: attempts, delay: delay}
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
	err = r.retry(ctx, func() error {
		var e error
		raw, found, e = r.kv.Get(ctx, key)
		return e
	})
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
	err = r.retry(ctx, func() error {
		var e error
		if found {
			ok, e = r.kv.CompareAndSwap(ctx, key, old, raw, 0)
		} else {
			ok, e = r.kv.PutIfAbsent(ctx, key, raw, 0)
		}
		return e
	})
	return raw, ok && err == nil, err
}

// retry calls op until it succeeds, fails with an error other than store.ErrUnavailable, has
// been called r.attempts times, or ctx ends.
func (r *Repository) retry(ctx context.Context, op func() error) error {
	delay := r.delay
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !errors.Is(err, store.ErrUnavailable) || attempt >= r.attempts {
			return err
		}
		if !sleep(ctx, delay/2+rand.N(delay/2+1)) {
			return err
		}
		delay *= 2
	}
}

// sleep waits for d, and reports false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
