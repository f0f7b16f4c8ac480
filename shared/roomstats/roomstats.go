// Package roomstats keeps a live room's counters: likes, messages, viewers now and the peak
// number of viewers. It works over a small key-value port, KV, that every store adapter
// implements, and is safe against the duplicate and concurrent callbacks IM may send.
//
// # Viewers
//
// Viewers are the members IM reported joining a room minus the members it reported leaving: one
// membership callback, however many members it names, is counted with a few store calls (a
// dedupe record, one addition, one raise of the peak and one of the timeline's step), never one
// call per member. IM reports no
// second join of a member who has not left (a reconnecting viewer stays a member), so a viewer is
// counted once per stay in the room. IM delivers these callbacks at most once by default and in no
// guaranteed order, so the count is approximate: a lost exit leaves a viewer counted, a lost join
// lets an exit take away another viewer, and the count never goes below zero. IM's
// get_online_member_num stays the authority when an exact figure matters.
//
// # Repeats
//
// Every counted callback is remembered for a while under the identity of its event: a membership
// callback by the caller's event ID, a like message by its room, sender and Random, a delivered
// message by its ID. A repeat within that time, whether IM redelivered it or someone replayed a
// captured callback, counts nothing.
package roomstats

import (
	"context"
	"time"

	"github.com/uriba-live/uriba/shared/store"
)

// KV is the part of a store that roomstats needs. The store adapters' KV has these methods with
// these signatures.
type KV interface {
	// Add adds delta to the counter key, creating it at zero, and returns the new value.
	Add(ctx context.Context, key string, delta int64) (int64, error)
	// Max raises the counter key to v when v is larger, creating it at v, and returns the
	// counter's value afterwards.
	Max(ctx context.Context, key string, v int64) (int64, error)
	// Counter returns the value of the counter key, or 0 when it does not exist.
	Counter(ctx context.Context, key string) (int64, error)
	// PutIfAbsent stores value under key for ttl unless the key exists, and reports whether it
	// stored it.
	PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (created bool, err error)
	// Scan lists the records of a directory, as store.KV's Scan does.
	Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error)
}

// DefaultRemember is how long a counted membership callback is remembered when New is given no
// duration: far longer than IM takes to retry a callback, and than a signed callback stays valid.
const DefaultRemember = time.Hour

// Counts are a room's counters.
type Counts struct {
	Likes       int64 `json:"likes"`
	Viewers     int64 `json:"viewers"`
	PeakViewers int64 `json:"peakViewers"`
	Messages    int64 `json:"messages"`
}

// Stats keeps room counters in a KV. Its methods are safe for concurrent use as far as the KV's
// are.
type Stats struct {
	kv       KV
	remember time.Duration
	// Now tells the time of timeline samples; nil means the clock.
	Now func() time.Time
}

func (s *Stats) clock() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// New returns Stats over kv. Counted membership callbacks are remembered for remember, or
// DefaultRemember when it is not positive.
func New(kv KV, remember time.Duration) *Stats {
	if remember <= 0 {
		remember = DefaultRemember
	}
	return &Stats{kv: kv, remember: remember}
}

// seenValue is what a dedupe record holds; only its presence matters.
var seenValue = []byte{'1'}

// AddLikes adds n likes to the room and returns its new total. A non-positive n changes nothing
// and returns the current total. It suits likes that cannot repeat, such as those of a paid
// call with an idempotency key; AddMessageLikes counts those of a like message.
func (s *Stats) AddLikes(ctx context.Context, roomID string, n int64) (int64, error) {
	if n <= 0 {
		return s.kv.Counter(ctx, likesKey(roomID))
	}
	return s.kv.Add(ctx, likesKey(roomID), n)
}

// Likes returns the room's like total.
func (s *Stats) Likes(ctx context.Context, roomID string) (int64, error) {
	return s.kv.Counter(ctx, likesKey(roomID))
}

// AddMessageLikes adds the n likes of one like message to the room, once however often it is
// reported: the message is identified by its sender and IM's Random (IM's own duplicate key) and
// remembered for remember, a repeat meanwhile counts nothing. It makes two store calls and
// reports whether the likes were counted now; a non-positive n counts nothing.
func (s *Stats) AddMessageLikes(ctx context.Context, roomID, from string, random uint64, n int64, remember time.Duration) (bool, error) {
	if n <= 0 {
		return false, nil
	}
	if remember <= 0 {
		remember = s.remember
	}
	created, err := s.kv.PutIfAbsent(ctx, likeMessageKey(roomID, from, random), seenValue, remember)
	if err != nil || !created {
		return false, err
	}
	_, err = s.kv.Add(ctx, likesKey(roomID), n)
	return err == nil, err
}

// Join counts one join callback: members distinct viewers joined the room. event identifies the
// callback, the same for every delivery of it and different for any other; while it is
// remembered a repeat counts nothing, and an empty event is never taken for a repeat. The
// viewers rise by members in one addition, the peak and the timeline's step to the count they
// reach, in at most four store calls whatever members is. It reports whether the callback was counted now; a
// non-positive members counts nothing.
func (s *Stats) Join(ctx context.Context, roomID, event string, members int64) (bool, error) {
	if members <= 0 {
		return false, nil
	}
	if fresh, err := s.firstTime(ctx, joinKey(roomID, event)); err != nil || !fresh {
		return false, err
	}
	viewers, err := s.kv.Add(ctx, viewersKey(roomID), members)
	if err != nil {
		return false, err
	}
	if _, err := s.kv.Max(ctx, peakKey(roomID), viewers); err != nil {
		return true, err
	}
	return true, s.sampleViewers(ctx, roomID, viewers)
}

// Leave counts one exit callback: members distinct viewers left the room, never taking it below
// zero viewers, and records the count in the timeline. event identifies the callback as for Join.
// It makes at most four store calls whatever members is, and reports whether the callback was counted now.
func (s *Stats) Leave(ctx context.Context, roomID, event string, members int64) (bool, error) {
	if members <= 0 {
		return false, nil
	}
	if fresh, err := s.firstTime(ctx, exitKey(roomID, event)); err != nil || !fresh {
		return false, err
	}
	viewers, err := s.kv.Add(ctx, viewersKey(roomID), -members)
	if err != nil {
		return false, err
	}
	if viewers < 0 {
		// More left than were counted (a join callback was lost, or came after the exit): the
		// callback gives back what it took below zero, at most its own decrement, so that
		// concurrent exits together land at zero rather than below it.
		if _, err := s.kv.Add(ctx, viewersKey(roomID), min(members, -viewers)); err != nil {
			return true, err
		}
	}
	return true, s.sampleViewers(ctx, roomID, viewers)
}

// firstTime records the event under key and reports whether it is new; an event without a key
// is always new.
func (s *Stats) firstTime(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return true, nil
	}
	return s.kv.PutIfAbsent(ctx, key, seenValue, s.remember)
}

// messageTTL is how long a counted message is remembered, longer than IM retries a callback.
const messageTTL = time.Hour

// AddMessage counts a message delivered to the room once, however often its callback arrives:
// messageID (GroupId/MsgSeq) is remembered for an hour, and a repeat counts nothing. It reports
// whether the message was counted now.
func (s *Stats) AddMessage(ctx context.Context, roomID, messageID string) (bool, error) {
	created, err := s.kv.PutIfAbsent(ctx, messageKey(roomID, messageID), seenValue, messageTTL)
	if err != nil || !created {
		return false, err
	}
	_, err = s.kv.Add(ctx, messagesKey(roomID), 1)
	return err == nil, err
}

// Get returns the room's counters. A room nobody touched has zero counts.
func (s *Stats) Get(ctx context.Context, roomID string) (Counts, error) {
	var c Counts
	var err error
	if c.Likes, err = s.kv.Counter(ctx, likesKey(roomID)); err != nil {
		return Counts{}, err
	}
	if c.Viewers, err = s.kv.Counter(ctx, viewersKey(roomID)); err != nil {
		return Counts{}, err
	}
	if c.PeakViewers, err = s.kv.Counter(ctx, peakKey(roomID)); err != nil {
		return Counts{}, err
	}
	if c.Messages, err = s.kv.Counter(ctx, messagesKey(roomID)); err != nil {
		return Counts{}, err
	}
	c.Viewers = max(c.Viewers, 0)
	c.PeakViewers = max(c.PeakViewers, c.Viewers)
	return c, nil
}

// Keys. The counters of a room share the directory "room/{id}/"; message records, written at the
// rate messages come, stay out of directories (a store may keep a directory in one
// partition). IDs pass through store.EscapeID so that no ID can reach another key.

func likesKey(roomID string) string    { return "room/" + store.EscapeID(roomID) + "/likes" }
func viewersKey(roomID string) string  { return "room/" + store.EscapeID(roomID) + "/viewers" }
func peakKey(roomID string) string     { return "room/" + store.EscapeID(roomID) + "/peak" }
func messagesKey(roomID string) string { return "room/" + store.EscapeID(roomID) + "/messages" }
func messageKey(roomID, messageID string) string {
	return "roommsg#" + store.EscapeID(roomID) + "#" + store.EscapeID(messageID)
}
