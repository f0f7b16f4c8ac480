// Package roomstats keeps a live room's counters: likes, viewers now and the peak number of
// viewers. It works over a small key-value port, KV, that every store adapter implements, and is
// safe against the duplicate and concurrent membership callbacks IM may send.
//
// Viewer counts are approximate by nature: they follow IM's join and exit callbacks, which are
// delivered at most once by default and in no guaranteed order. A viewer is counted once per
// member record, which lives for MemberTTL; IM's get_online_member_num stays the authority when an
// exact figure matters.
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
	// Delete removes key and reports whether it existed.
	Delete(ctx context.Context, key string) (existed bool, err error)
}

// DefaultMemberTTL is how long a member record lives when New is given no TTL. Once a record has
// expired, a duplicate join callback counts the viewer again and an exit no longer subtracts it,
// so the TTL should outlast the longest live stream.
const DefaultMemberTTL = 24 * time.Hour

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
	kv        KV
	memberTTL time.Duration
}

// New returns Stats over kv. Member records live for memberTTL, or DefaultMemberTTL when it is
// not positive.
func New(kv KV, memberTTL time.Duration) *Stats {
	if memberTTL <= 0 {
		memberTTL = DefaultMemberTTL
	}
	return &Stats{kv: kv, memberTTL: memberTTL}
}

// memberValue is what a member record holds; only its presence matters.
var memberValue = []byte{'1'}

// AddLikes adds n likes to the room and returns its new total. A non-positive n changes nothing
// and returns the current total.
func (s *Stats) AddLikes(ctx context.Context, roomID string, n int64) (int64, error) {
	if n <= 0 {
		return s.kv.Counter(ctx, likesKey(roomID))
	}
	return s.kv.Add(ctx, likesKey(roomID), n)
}

// Join records that userID joined the room. Only the first Join of a member record counts: the
// room gains a viewer and its peak rises to the new count. Repeated calls, such as duplicate
// callbacks, report false and change nothing.
func (s *Stats) Join(ctx context.Context, roomID, userID string) (joined bool, err error) {
	created, err := s.kv.PutIfAbsent(ctx, memberKey(roomID, userID), memberValue, s.memberTTL)
	if err != nil || !created {
		return false, err
	}
	viewers, err := s.kv.Add(ctx, viewersKey(roomID), 1)
	if err != nil {
		return true, err
	}
	if _, err := s.kv.Max(ctx, peakKey(roomID), viewers); err != nil {
		return true, err
	}
	return true, nil
}

// Leave records that userID left the room. Only a Leave that removes a member record counts: the
// room loses a viewer, never going below zero. Repeated calls report false and change nothing.
func (s *Stats) Leave(ctx context.Context, roomID, userID string) (left bool, err error) {
	existed, err := s.kv.Delete(ctx, memberKey(roomID, userID))
	if err != nil || !existed {
		return false, err
	}
	viewers, err := s.kv.Add(ctx, viewersKey(roomID), -1)
	if err != nil {
		return true, err
	}
	if viewers < 0 {
		// The counter was behind the member records (for example after it was lost): this
		// Leave undoes its own decrement, so that concurrent ones cannot push it further down.
		if _, err := s.kv.Add(ctx, viewersKey(roomID), 1); err != nil {
			return true, err
		}
	}
	return true, nil
}

// messageTTL is how long a counted message is remembered, longer than IM retries a callback.
const messageTTL = time.Hour

// AddMessage counts a message delivered to the room once, however often its callback arrives:
// messageID (GroupId/MsgSeq) is remembered for an hour, and a repeat counts nothing. It reports
// whether the message was counted now.
func (s *Stats) AddMessage(ctx context.Context, roomID, messageID string) (bool, error) {
	created, err := s.kv.PutIfAbsent(ctx, messageKey(roomID, messageID), memberValue, messageTTL)
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

// Keys. The counters of a room share the directory "room/{id}/"; member records, written at the
// rate viewers come and go, stay out of directories (a store may keep a directory in one
// partition). IDs pass through store.EscapeID so that no ID can reach another key.

func likesKey(roomID string) string    { return "room/" + store.EscapeID(roomID) + "/likes" }
func viewersKey(roomID string) string  { return "room/" + store.EscapeID(roomID) + "/viewers" }
func peakKey(roomID string) string     { return "room/" + store.EscapeID(roomID) + "/peak" }
func messagesKey(roomID string) string { return "room/" + store.EscapeID(roomID) + "/messages" }
func messageKey(roomID, messageID string) string {
	return "roommsg#" + store.EscapeID(roomID) + "#" + store.EscapeID(messageID)
}
func memberKey(roomID, userID string) string {
	return "roommember#" + store.EscapeID(roomID) + "#" + store.EscapeID(userID)
}
