package levels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uriba-live/uriba/shared/backoff"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// Defaults of Config.
const (
	DefaultRemember     = 256
	DefaultMaxSkew      = 5 * time.Minute
	DefaultParallel     = 8
	DefaultMaxConflicts = 64
	// MaxIDBytes is the longest activity ID accepted.
	MaxIDBytes = 256
)

// Config configures an Updater. Zero values take the defaults above.
type Config struct {
	// Rules turn activities into XP and XP into levels. They must be valid.
	Rules live.LevelRules
	// Remember is how many recently credited activities each user record remembers. A user who
	// earns XP from more activities than this while a failed batch awaits redelivery loses the
	// XP of the redelivered activities older than the ones remembered (they are refused as
	// late); nothing is ever credited twice.
	Remember int
	// MaxSkew is how far in the future an activity's time may be. Later activities are refused,
	// since they would push the late-activity floor into the future.
	MaxSkew time.Duration
	// Parallel is how many users of a batch are updated at once.
	Parallel int
	// MaxConflicts bounds how often one user's update is recomputed because another consumer
	// wrote the record first, before the user's activities are reported as failed. These are
	// compare-and-swap conflicts, not failures: store failures are retried by the store adapter
	// alone (see Repository).
	MaxConflicts int
	// Now tells the time that daily caps and the time checks use; nil means time.Now.
	Now func() time.Time
	// Logger receives skipped activities and failures; nil discards them.
	Logger *slog.Logger
}

// Stats counts what an Updater did since it was made.
type Stats struct {
	Batches     uint64 // Apply calls
	Activities  uint64 // activities received
	Credited    uint64 // activities that earned XP
	XP          uint64 // XP they earned
	Duplicates  uint64 // activities credited before, or repeated within a batch
	Capped      uint64 // activities that earned nothing because of a daily cap
	Late        uint64 // activities older than the activities their user's record remembers
	UnknownKind uint64 // activities of a kind the rules do not know
	Rejected    uint64 // activities with a missing ID or user, a bad amount or a bad time
	Failed      uint64 // activities reported for redelivery
	Conflicts   uint64 // writes recomputed because another consumer wrote first
	Writes      uint64 // user records written (credits and announcements)
	LevelUps    uint64 // level rises recorded
	Announced   uint64 // level-ups whose effects completed
	GivenUp     uint64 // level-up effects abandoned as undeliverable
}

// Updater credits activities to users exactly once, keeps their levels, and announces level-ups.
// Its methods are safe for concurrent use, also by several processes sharing one store.
type Updater struct {
	repo    *Repository
	effects Announcer
	cfg     Config
	now     func() time.Time
	log     *slog.Logger

	batches, activities, credited, xp, duplicates, capped, late, unknown, rejected,
	failed, conflicts, writes, levelUps, announced, givenUp atomic.Uint64
}

// NewUpdater returns an Updater that keeps records in kv and carries out level-up effects through
// effects; a nil effects records levels without any effect. It fails when the rules are not
// valid or a setting is negative.
func NewUpdater(kv store.KV, effects Announcer, cfg Config) (*Updater, error) {
	if kv == nil {
		return nil, errors.New("levels: a store is required")
	}
	if err := cfg.Rules.Validate(); err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	if cfg.Remember < 0 || cfg.MaxSkew < 0 || cfg.Parallel < 0 ||
		cfg.MaxConflicts < 0 {
		return nil, errors.New("levels: settings must not be negative")
	}
	cfg.Remember = orDefault(cfg.Remember, DefaultRemember)
	cfg.MaxSkew = orDefault(cfg.MaxSkew, DefaultMaxSkew)
	cfg.Parallel = orDefault(cfg.Parallel, DefaultParallel)
	cfg.MaxConflicts = orDefault(cfg.MaxConflicts, DefaultMaxConflicts)
	u := &Updater{
		repo:    NewRepository(kv, cfg.Rules),
		effects: effects,
		cfg:     cfg,
		now:     cfg.Now,
		log:     cfg.Logger,
	}
	if u.now == nil {
		u.now = time.Now
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	return u, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Get returns the standing of userID; see Repository.Get.
func (u *Updater) Get(ctx context.Context, userID string) (Level, error) {
	return u.repo.Get(ctx, userID)
}

// Stats returns the Updater's counters.
func (u *Updater) Stats() Stats {
	return Stats{
		Batches: u.batches.Load(), Activities: u.activities.Load(), Credited: u.credited.Load(),
		XP: u.xp.Load(), Duplicates: u.duplicates.Load(), Capped: u.capped.Load(), Late: u.late.Load(),
		UnknownKind: u.unknown.Load(), Rejected: u.rejected.Load(), Failed: u.failed.Load(),
		Conflicts: u.conflicts.Load(), Writes: u.writes.Load(), LevelUps: u.levelUps.Load(),
		Announced: u.announced.Load(), GivenUp: u.givenUp.Load(),
	}
}

// CodeApplyFailed is the stable code of an *ApplyError.
const CodeApplyFailed = "level_update_failed"

// ApplyError reports the users whose activities Apply could not settle. It wraps their causes,
// so that errors.Is(err, store.ErrUnavailable) tells a store outage apart.
type ApplyError struct {
	// Users is how many users failed, and Activities how many of their activities.
	Users, Activities int
	// Err joins the causes of the first few users' failures.
	Err error
}

// Error describes the failure in one line, for logs.
func (e *ApplyError) Error() string {
	return fmt.Sprintf("levels: %d activities of %d users were not settled: %v", e.Activities, e.Users, e.Err)
}

// Unwrap returns the causes.
func (e *ApplyError) Unwrap() error { return e.Err }

// ErrorCode returns CodeApplyFailed.
func (e *ApplyError) ErrorCode() string { return CodeApplyFailed }

// maxCauses bounds the causes an ApplyError keeps.
const maxCauses = 3

// userBatch is one user's valid activities of a batch.
type userBatch struct {
	userID string
	inputs []input
	err    error
}

// Apply credits a batch of activities and returns the IDs of the activities to redeliver, with
// an *ApplyError saying why when there are any. It reads and writes each user's record once
// (plus once more to record an announced level-up), whatever the number of their activities.
//
// Activities of a kind the rules do not know, and activities without an ID or a user, with an
// amount out of range, without a time or too far in the future, are skipped and counted, never
// credited and never redelivered. Duplicates, within the batch or of earlier batches, credit
// nothing. When a user's update fails (the store stays unavailable after retries, or a level-up
// effect fails in a way that may pass), only that user's activity IDs are returned.
func (u *Updater) Apply(ctx context.Context, batch []live.Activity) (failed []string, err error) {
	u.batches.Add(1)
	u.activities.Add(uint64(len(batch)))
	now := u.now()
	users := u.group(batch, now)

	sem := make(chan struct{}, u.cfg.Parallel)
	var wg sync.WaitGroup
	for _, ub := range users {
		if len(users) == 1 {
			ub.err = u.applyUser(ctx, ub.userID, ub.inputs, now)
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ub.err = u.applyUser(ctx, ub.userID, ub.inputs, now)
		})
	}
	wg.Wait()

	var causes []error
	failedUsers := 0
	var listed map[string]struct{}
	for _, ub := range users {
		if ub.err == nil {
			continue
		}
		if listed == nil {
			listed = make(map[string]struct{})
		}
		failedUsers++
		if len(causes) < maxCauses {
			causes = append(causes, fmt.Errorf("user %q: %w", ub.userID, ub.err))
		}
		for _, in := range ub.inputs {
			if _, dup := listed[in.a.ID]; !dup {
				listed[in.a.ID] = struct{}{}
				failed = append(failed, in.a.ID)
			}
		}
	}
	if failedUsers == 0 {
		return nil, nil
	}
	u.failed.Add(uint64(len(failed)))
	err = &ApplyError{Users: failedUsers, Activities: len(failed), Err: errors.Join(causes...)}
	u.log.WarnContext(ctx, "level updates failed", "users", failedUsers, "activities", len(failed), "err", err)
	return failed, err
}

// Handle applies batch and returns Apply's error. It suits queues that can only redeliver whole
// batches, such as the in-process queue (inproc.Handler): activities already credited are
// recognised when the batch comes again.
func (u *Updater) Handle(ctx context.Context, batch []live.Activity) error {
	_, err := u.Apply(ctx, batch)
	return err
}

// group checks each activity and sorts the valid ones by user, in order of first appearance.
func (u *Updater) group(batch []live.Activity, now time.Time) []*userBatch {
	var users []*userBatch
	index := make(map[string]int)
	var unknown, rejected int
	for i := range batch {
		a := &batch[i]
		switch {
		case !u.validActivity(a, now):
			rejected++
			continue
		case !u.knownKind(a.Kind):
			unknown++
			continue
		}
		j, ok := index[a.UserID]
		if !ok {
			j = len(users)
			index[a.UserID] = j
			users = append(users, &userBatch{userID: a.UserID})
		}
		users[j].inputs = append(users[j].inputs, input{a: a, hash: hashID(a.ID)})
	}
	if unknown+rejected > 0 {
		u.unknown.Add(uint64(unknown))
		u.rejected.Add(uint64(rejected))
		u.log.Info("activities skipped", "unknown_kind", unknown, "rejected", rejected, "batch", len(batch))
	}
	return users
}

// validActivity reports whether a carries what crediting needs.
func (u *Updater) validActivity(a *live.Activity, now time.Time) bool {
	switch {
	case a.ID == "" || len(a.ID) > MaxIDBytes:
		return false
	case live.ValidateUserID(a.UserID) != nil:
		return false
	case a.Amount <= 0 || a.Amount > u.cfg.Rules.MaxAmount:
		return false
	case a.At.IsZero() || a.At.UnixMilli() <= 0 || a.At.After(now.Add(u.cfg.MaxSkew)):
		return false
	}
	return true
}

// knownKind reports whether the rules give kind any XP entry.
func (u *Updater) knownKind(kind live.ActivityKind) bool {
	_, ok := u.cfg.Rules.XP[kind]
	return ok
}

// errConflicts reports a user whose record kept changing under the update.
var errConflicts = &live.Error{Code: live.EConflict, Message: "The level record kept changing during the update."}

// applyUser credits one user's activities with a read and a conditional write, recomputing on
// the fresh record when another consumer wrote first, and then settles any pending level-up.
func (u *Updater) applyUser(ctx context.Context, userID string, inputs []input, now time.Time) error {
	for attempt := 1; ; attempt++ {
		rec, raw, found, err := u.repo.load(ctx, userID)
		if err != nil {
			return err
		}
		o, changed := rec.apply(inputs, u.cfg.Rules, now, u.cfg.Remember)
		if changed {
			written, ok, err := u.repo.save(ctx, userID, raw, found, &rec)
			if err != nil {
				return err
			}
			if !ok {
				u.conflicts.Add(1)
				if attempt >= u.cfg.MaxConflicts {
					return errConflicts
				}
				if err := conflictBackoff.Wait(ctx, conflictBackoff.Delay(attempt-1)); err != nil {
					return err
				}
				continue
			}
			u.writes.Add(1)
			raw = written
		}
		u.count(o)
		return u.settle(ctx, userID, rec, raw)
	}
}

// conflictBackoff spreads out consumers that keep writing the same record at once: the first
// conflict is recomputed at once, each further one after a jittered pause that doubles from 1ms up
// to 20ms. Its Attempts are unused; Config.MaxConflicts bounds the loop.
var conflictBackoff = backoff.Policy{Base: time.Millisecond, Max: 20 * time.Millisecond}

// count adds an outcome to the counters.
func (u *Updater) count(o outcome) {
	u.credited.Add(uint64(o.credited))
	u.xp.Add(uint64(o.xp))
	u.duplicates.Add(uint64(o.duplicates))
	u.capped.Add(uint64(o.capped))
	u.late.Add(uint64(o.late))
	if o.levelUp {
		u.levelUps.Add(1)
	}
}

// settle carries out the effects of a pending level-up of rec, stored as raw, and then records
// the level as announced. The record is changed only through CompareAndSwap, so a concurrent
// credit is never lost; a level raised meanwhile stays pending for whoever raised it.
func (u *Updater) settle(ctx context.Context, userID string, rec record, raw []byte) error {
	if u.effects == nil || !rec.pending() {
		return nil
	}
	level, room := rec.level(), rec.Room
	if err := u.effects.SetLevel(ctx, userID, level); err != nil {
		if !errors.Is(err, ErrUndeliverable) {
			return fmt.Errorf("set level %d: %w", level, err)
		}
		u.log.WarnContext(ctx, "level not set in profile", "user", userID, "level", level, "err", err)
	}
	given := false
	if room != "" {
		if err := u.effects.AnnounceLevelUp(ctx, room, userID, level); err != nil {
			if !errors.Is(err, ErrUndeliverable) {
				return fmt.Errorf("announce level %d: %w", level, err)
			}
			given = true
			u.log.WarnContext(ctx, "level-up not announced", "user", userID, "room", room, "level", level, "err", err)
		}
	}
	// Record the level as announced, re-reading the record when another consumer wrote it first.
	for attempt := 1; ; attempt++ {
		if rec.announced() >= level {
			break
		}
		rec.Announced = level
		_, ok, err := u.repo.save(ctx, userID, raw, true, &rec)
		if err != nil {
			return fmt.Errorf("record level %d as announced: %w", level, err)
		}
		if ok {
			u.writes.Add(1)
			break
		}
		u.conflicts.Add(1)
		if attempt >= u.cfg.MaxConflicts {
			return errConflicts
		}
		if rec, raw, _, err = u.repo.load(ctx, userID); err != nil {
			return err
		}
	}
	if given {
		u.givenUp.Add(1)
	} else {
		u.announced.Add(1)
	}
	return nil
}
