// Package liketotal publishes a room's like total in its group custom field (LIKE_TOTAL) at most
// once an interval, without a goroutine that outlives a request, so that it works on Lambda and
// SCF as it does on a laptop.
//
// Time is cut into slots of one interval. The IM callback counts likes as they come; the first
// like of a room in a slot, across every instance, wins a conditional write (PutIfAbsent of the
// slot's key) and publishes one job on the activity queue, due at the slot's end. The consumer,
// which holds the IM credentials, waits until the job is due (a queue that can delay messages,
// SQS, does most of the waiting), reads the room's exact count and sets the field. So a room gets
// at most one update a slot, one in every slot in which likes came, and its final total within an
// interval of its last like. Each instance remembers the slots it saw elected, so a like costs
// no store call after the first of its slot on that instance.
package liketotal

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
	"github.com/uriba-live/uriba/shared/store"
)

// DefaultInterval is the shortest time between two updates of a room's like total.
const DefaultInterval = 3 * time.Second

// Claimer is the store call the Elector needs.
type Claimer interface {
	// PutIfAbsent stores value under key for ttl unless the key exists, and reports whether it
	// stored it.
	PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)
}

// Elector elects, for each room and slot, the one like that schedules the update. It is safe for
// concurrent use.
type Elector struct {
	kv       Claimer
	jobs     queue.Publisher
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	seen map[string]int64 // room → the latest slot known to be elected
}

// NewElector returns an Elector that claims slots in kv and publishes jobs to jobs. A zero
// interval means DefaultInterval and a nil now means time.Now.
func NewElector(kv Claimer, jobs queue.Publisher, interval time.Duration, now func() time.Time) *Elector {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if now == nil {
		now = time.Now
	}
	return &Elector{kv: kv, jobs: jobs, interval: interval, now: now, seen: map[string]int64{}}
}

// maxRemembered bounds the rooms an Elector remembers; past it the memory starts again, which
// costs one store call per room.
const maxRemembered = 10000

// Liked notes that likes were counted in room. The first call of a slot across every instance
// publishes the slot's job; the others do nothing, and on an instance that saw the slot elected
// they make no store call.
func (e *Elector) Liked(ctx context.Context, room string) error {
	slot := e.now().UnixNano() / int64(e.interval)
	e.mu.Lock()
	known := e.seen[room] >= slot
	e.mu.Unlock()
	if known {
		return nil
	}
	won, err := e.kv.PutIfAbsent(ctx, slotKey(room, slot), []byte{'1'}, 2*e.interval)
	if err != nil {
		return err
	}
	if won {
		due := time.Unix(0, (slot+1)*int64(e.interval)).UTC()
		job := live.Activity{
			ID: "liketotal/" + room + "/" + strconv.FormatInt(slot, 10), RoomID: room,
			Kind: live.KindLikeTotal, At: e.now().UTC(), NotBefore: due,
			Amount: e.interval.Milliseconds(), // the publisher keeps updates this far apart
		}
		if err := e.jobs.Publish(ctx, job); err != nil {
			return err
		}
	}
	e.mu.Lock()
	if len(e.seen) >= maxRemembered {
		clear(e.seen)
	}
	if e.seen[room] < slot {
		e.seen[room] = slot
	}
	e.mu.Unlock()
	return nil
}

// slotKey is the key whose creation elects a room's slot. It is in no directory.
func slotKey(room string, slot int64) string {
	return "liketotal#" + store.EscapeID(room) + "#" + strconv.FormatInt(slot, 10)
}

// publishedAtKey is the counter of the time, in Unix milliseconds, of a room's latest update.
func publishedAtKey(room string) string {
	return "liketotal#" + store.EscapeID(room) + "#publishedat"
}

// publishedKey is the counter of the highest total published for a room.
func publishedKey(room string) string { return "liketotal#" + store.EscapeID(room) + "#published" }
