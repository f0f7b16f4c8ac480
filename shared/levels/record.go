package levels

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// keyPrefix starts the key of every user record. The keys are in no directory: the records are
// read one at a time and never listed.
const keyPrefix = "levels#user#"

// recordKey returns the store key of userID's record. The ID passes through store.EscapeID so
// that a '/' in it never puts the record in a directory.
func recordKey(userID string) string {
	return keyPrefix + store.EscapeID(userID)
}

// msPerDay is the length of a UTC day in milliseconds.
const msPerDay = int64(24 * time.Hour / time.Millisecond)

// record is what the store keeps for one user, as JSON. Every change to a user's XP, caps,
// remembered activities and announcements is one CompareAndSwap of this one value.
type record struct {
	// XP is the user's total experience.
	XP int64 `json:"xp"`
	// Level is the level XP gave under the rules of the last write; 0 in a new record reads as 1.
	Level int `json:"level,omitempty"`
	// Announced is the highest level whose level-up effects completed; 0 reads as 1.
	Announced int `json:"announced,omitempty"`
	// Room is the room of the activity that raised the level last, where LEVEL_UP is sent.
	Room string `json:"room,omitempty"`
	// Days holds the XP earned per capped kind on the current and the previous UTC day.
	Days []dayTally `json:"days,omitempty"`
	// Seen remembers the most recent credited activities, by the hash of their ID and their time.
	Seen seenSet `json:"seen,omitempty"`
	// Floor is the latest activity time, in Unix milliseconds, of an activity dropped from Seen.
	// An activity at or before Floor that Seen does not hold is refused as late.
	Floor int64 `json:"floor,omitempty"`
	// Updated is when the record was last written, in Unix milliseconds.
	Updated int64 `json:"updated,omitempty"`
}

// dayTally is the XP a user earned on one UTC day from each capped kind.
type dayTally struct {
	// Day counts UTC days since 1970-01-01.
	Day int64 `json:"day"`
	// XP maps a kind to the XP it earned that day.
	XP map[live.ActivityKind]int64 `json:"xp"`
}

// seenEntry is one remembered activity: the first 8 bytes of the SHA-256 of its ID and its time
// in Unix milliseconds.
type seenEntry struct {
	hash uint64
	at   int64
}

// seenSet is the remembered activities, in increasing order of time. It is stored as base64 of
// 16 bytes per entry, a third of the size of the IDs themselves, because the record is read and
// written on every batch that touches the user.
type seenSet []seenEntry

const seenEntrySize = 16

// MarshalJSON encodes the set as a base64 string.
func (s seenSet) MarshalJSON() ([]byte, error) {
	raw := make([]byte, 0, len(s)*seenEntrySize)
	for _, e := range s {
		raw = binary.LittleEndian.AppendUint64(raw, e.hash)
		raw = binary.LittleEndian.AppendUint64(raw, uint64(e.at))
	}
	out := make([]byte, 0, base64.StdEncoding.EncodedLen(len(raw))+2)
	out = append(out, '"')
	out = base64.StdEncoding.AppendEncode(out, raw)
	return append(out, '"'), nil
}

// UnmarshalJSON decodes a set encoded by MarshalJSON.
func (s *seenSet) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return err
	}
	if len(raw)%seenEntrySize != 0 {
		return errors.New("levels: remembered activities have a truncated entry")
	}
	set := make(seenSet, len(raw)/seenEntrySize)
	for i := range set {
		e := raw[i*seenEntrySize:]
		set[i] = seenEntry{hash: binary.LittleEndian.Uint64(e), at: int64(binary.LittleEndian.Uint64(e[8:]))}
	}
	*s = set
	return nil
}

// hashID returns the hash an activity ID is remembered by. Activity IDs are chosen by uriba
// (GroupId/MsgSeq and the like), and 64 bits make an accidental collision among the few hundred
// IDs of one record negligible (about 2⁻⁴⁵).
func hashID(id string) uint64 {
	sum := sha256.Sum256([]byte(id))
	return binary.LittleEndian.Uint64(sum[:8])
}

// decodeRecord decodes a stored record; nil or empty raw is a new user's record.
func decodeRecord(raw []byte) (record, error) {
	var r record
	if len(raw) == 0 {
		return r, nil
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return record{}, err
	}
	return r, nil
}

// level returns the recorded level, 1 for a new record.
func (r *record) level() int { return max(r.Level, 1) }

// announced returns the highest level whose effects completed, 1 for a new record.
func (r *record) announced() int { return max(r.Announced, 1) }

// pending reports whether a level-up still waits for its effects.
func (r *record) pending() bool { return r.level() > r.announced() }

// remembers reports whether the activity with hash h was credited before.
func (r *record) remembers(h uint64) bool {
	for i := range r.Seen {
		if r.Seen[i].hash == h {
			return true
		}
	}
	return false
}

// earned returns the XP earned from kind on day.
func (r *record) earned(day int64, kind live.ActivityKind) int64 {
	for i := range r.Days {
		if r.Days[i].Day == day {
			return r.Days[i].XP[kind]
		}
	}
	return 0
}

// addEarned adds xp to what kind earned on day.
func (r *record) addEarned(day int64, kind live.ActivityKind, xp int64) {
	for i := range r.Days {
		if r.Days[i].Day == day {
			if r.Days[i].XP == nil {
				r.Days[i].XP = make(map[live.ActivityKind]int64, 1)
			}
			r.Days[i].XP[kind] = saturatingAdd(r.Days[i].XP[kind], xp)
			return
		}
	}
	r.Days = append(r.Days, dayTally{Day: day, XP: map[live.ActivityKind]int64{kind: xp}})
}

// outcome counts what applying a user's activities did.
type outcome struct {
	credited   int   // activities that earned XP
	xp         int64 // XP they earned together
	duplicates int   // activities already credited, or repeated in the batch
	capped     int   // activities that earned nothing because of the daily cap
	late       int   // activities older than what the record remembers, refused
	levelUp    bool  // the level rose
}

// input is one valid activity of a batch with the hash of its ID.
type input struct {
	a    *live.Activity
	hash uint64
}

// apply credits the user's activities of one batch to r as of now, and reports whether r
// changed. It is a pure function of r and its arguments, so that a write that lost a race is
// simply recomputed on the record that won. keep bounds how many activities r remembers.
//
// An activity is credited when r does not remember it and it is later than r.Floor. It earns
// what the rules give it under the daily cap of its UTC day: the day of its time, or today when
// that day is older than yesterday (the tallies of older days are gone, and a late activity must
// not escape the cap). An activity that earns XP is remembered; one that earns nothing is not,
// since crediting it again can at most earn what it never earned.
func (r *record) apply(batch []input, rules live.LevelRules, now time.Time, keep int) (o outcome, changed bool) {
	nowMS := now.UnixMilli()
	today := floorDiv(nowMS, msPerDay)
	before := r.level()
	level, next := rules.Level(r.XP)
	var inBatch map[uint64]struct{}
	if len(batch) > 1 {
		inBatch = make(map[uint64]struct{}, len(batch))
	}
	added := 0
	for _, in := range batch {
		if inBatch != nil {
			if _, dup := inBatch[in.hash]; dup {
				o.duplicates++
				continue
			}
			inBatch[in.hash] = struct{}{}
		}
		at := in.a.At.UnixMilli()
		switch {
		case r.remembers(in.hash):
			o.duplicates++
			continue
		case at <= r.Floor:
			o.late++
			continue
		}
		day := floorDiv(at, msPerDay)
		if day < today-1 {
			day = today
		}
		_, capped := rules.DailyCap[in.a.Kind]
		var so int64
		if capped {
			so = r.earned(day, in.a.Kind)
		}
		xp, err := rules.Earn(*in.a, so)
		if err != nil || xp <= 0 {
			o.capped++
			continue
		}
		if capped {
			r.addEarned(day, in.a.Kind, xp)
		}
		r.XP = saturatingAdd(r.XP, xp)
		r.Seen = append(r.Seen, seenEntry{hash: in.hash, at: at})
		added++
		o.credited++
		o.xp = saturatingAdd(o.xp, xp)
		if next != 0 && r.XP >= next {
			level, next = rules.Level(r.XP)
			if in.a.RoomID != "" {
				r.Room = in.a.RoomID
			}
		}
	}
	if added == 0 {
		return o, false
	}
	r.prune(today, keep, added)
	r.Level = level
	if level > before {
		o.levelUp = true
	} else if level < r.announced() {
		// The rules changed and lowered the level: the next rise is announced again.
		r.Announced = level
	}
	r.Updated = nowMS
	return o, true
}

// prune drops the tallies of days before yesterday, keeps the keep latest remembered
// activities, and raises Floor to the latest time of those it drops. added is how many entries
// the batch appended to Seen, out of order.
func (r *record) prune(today int64, keep, added int) {
	r.Days = slices.DeleteFunc(r.Days, func(t dayTally) bool { return t.Day < today-1 })
	if added > 0 {
		slices.SortStableFunc(r.Seen, func(a, b seenEntry) int {
			switch {
			case a.at < b.at:
				return -1
			case a.at > b.at:
				return 1
			}
			return 0
		})
	}
	if drop := len(r.Seen) - keep; drop > 0 {
		for _, e := range r.Seen[:drop] {
			r.Floor = max(r.Floor, e.at)
		}
		r.Seen = slices.Delete(r.Seen, 0, drop)
	}
}

// floorDiv divides rounding towards negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// saturatingAdd adds two non-negative numbers, stopping at math.MaxInt64.
func saturatingAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
