package rooms

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// Time indexes of the rooms that may have to end. "roomends/{t}.{id}" names a room that is to end
// at t: its scheduled end, or the time an end was asked for; "roompauses/{t}.{id}" a room that
// paused at t. t is the Unix time in 12 zero-padded digits, so a directory lists in time order
// and a run reads only the entries that are due. Entries are hints: a reader checks the room.
const (
	endsDir   = "roomends/"
	pausesDir = "roompauses/"
	// streamPrefix maps a stream name to its room.
	streamPrefix = "streamroom#"
)

// dueKey is the index entry of room id at t in dir.
func dueKey(dir string, t time.Time, id string) string {
	return dir + fmt.Sprintf("%012d", max(t.Unix(), 0)) + "." + store.EscapeID(id)
}

// indexStatus writes the index entries of the room's new status: the status index and, for a
// paused room, the pause index. It runs before the room is stored.
func (s *Service) indexStatus(ctx context.Context, next live.Room) error {
	if err := s.kv.Put(ctx, statusKey(next.Status, next.ID), indexValue, 0); err != nil {
		return err
	}
	if next.Status == live.StatusPaused && next.PausedAt != nil {
		return s.kv.Put(ctx, dueKey(pausesDir, *next.PausedAt, next.ID), indexValue, 0)
	}
	return nil
}

// unindexStatus removes the index entries of the status a room left. It runs after the room is
// stored.
func (s *Service) unindexStatus(ctx context.Context, prev, next live.Room) error {
	if prev.Status == next.Status {
		return nil
	}
	if _, err := s.kv.Delete(ctx, statusKey(prev.Status, prev.ID)); err != nil {
		return err
	}
	if prev.Status == live.StatusPaused && prev.PausedAt != nil {
		_, err := s.kv.Delete(ctx, dueKey(pausesDir, *prev.PausedAt, prev.ID))
		return err
	}
	return nil
}

// UpdateStream applies change, which may move the room's status (through live.Room.Transition or
// ApplyPush), to the stored room under its lease, as the other changes do. IM is told only when
// the status changed, with one call that sets the status field; the status indexes follow.
// change gets the current time and reports whether it changed anything.
func (s *Service) UpdateStream(ctx context.Context, roomID string, change func(r *live.Room, now time.Time) (bool, error)) (live.Room, error) {
	now := s.clock()
	return s.update(ctx, roomID, edit{
		aspect: aspectStream,
		apply:  func(r *live.Room) (bool, error) { return change(r, now) },
		before: s.indexStatus,
		after:  s.unindexStatus,
	})
}

// BindStream records that the stream of room r belongs to it, so that RoomOfStream finds it.
func (s *Service) BindStream(ctx context.Context, r live.Room) error {
	_, err := s.kv.PutIfAbsent(ctx, streamPrefix+store.EscapeID(r.StreamName), []byte(r.ID), 0)
	return err
}

// RoomOfStream returns the ID of the room whose stream is named stream, or ENotFound.
func (s *Service) RoomOfStream(ctx context.Context, stream string) (string, error) {
	raw, ok, err := s.kv.Get(ctx, streamPrefix+store.EscapeID(stream))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", live.Errorf(live.ENotFound, "No room has the stream %q.", stream)
	}
	return string(raw), nil
}

// Due is an index entry of a room that may have to end.
type Due struct {
	RoomID string
	// Key is the entry, to be passed to Settle once the room has ended.
	Key string
	// At is the entry's time; Idle is true for a pause, false for an end.
	At   time.Time
	Idle bool
}

// DueRooms returns up to limit index entries of rooms that may have to end at now: rooms whose
// end time has come, then rooms paused since idle ago or longer. It reads only those entries (and
// at most one more of each index), whatever the number of rooms.
func (s *Service) DueRooms(ctx context.Context, now time.Time, idle time.Duration, limit int) ([]Due, error) {
	out, err := s.scanDue(ctx, endsDir, now, false, limit)
	if err != nil || len(out) >= limit || idle <= 0 {
		return out, err
	}
	paused, err := s.scanDue(ctx, pausesDir, now.Add(-idle), true, limit-len(out))
	return append(out, paused...), err
}

func (s *Service) scanDue(ctx context.Context, dir string, until time.Time, idle bool, limit int) ([]Due, error) {
	var out []Due
	after := ""
	for len(out) < limit {
		page := min(limit-len(out)+1, store.MaxScan)
		items, err := s.kv.Scan(ctx, dir, after, page)
		if err != nil {
			return out, err
		}
		for _, it := range items {
			_, name := store.Split(it.Key)
			if len(name) < 14 || name[12] != '.' {
				continue
			}
			sec, err := strconv.ParseInt(name[:12], 10, 64)
			if err != nil {
				continue
			}
			at := time.Unix(sec, 0).UTC()
			if at.After(until) || len(out) == limit {
				return out, nil
			}
			out = append(out, Due{RoomID: store.UnescapeID(name[13:]), Key: it.Key, At: at, Idle: idle})
		}
		if len(items) < page {
			return out, nil
		}
		after = items[len(items)-1].Key
	}
	return out, nil
}

// RequestEnd records that room id is to end now, so that a run that ends due rooms ends it if
// the caller does not finish; it returns the entry for Settle.
func (s *Service) RequestEnd(ctx context.Context, id string, now time.Time) (string, error) {
	key := dueKey(endsDir, now, id)
	return key, s.kv.Put(ctx, key, indexValue, 0)
}

// Settle removes an index entry DueRooms or RequestEnd returned, once its room needs nothing more.
func (s *Service) Settle(ctx context.Context, key string) error {
	_, err := s.kv.Delete(ctx, key)
	return err
}
