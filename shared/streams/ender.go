package streams

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uriba-live/uriba/shared/css"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// LiveEndedEvent is the custom message that tells a room its live has ended. Its Ext is the
// room's summary numbers as JSON.
const LiveEndedEvent = live.EventLiveEnded

// destroysDir lists the rooms whose group is to be destroyed, by time: "groupdestroys/{t}.{id}".
const destroysDir = "groupdestroys/"

// Report is what one run did.
type Report struct {
	// Due counts the index entries read; Ended the rooms the run ended; Settled the entries of
	// rooms that needed nothing more (already ended, resumed, unknown).
	Due     int      `json:"due"`
	Ended   []string `json:"ended"`
	Settled int      `json:"settled"`
	// Failed maps each room the run could not end to the reason; the next run tries again.
	Failed map[string]string `json:"failed,omitempty"`
	// GroupsDestroyed lists the groups destroyed after their grace period.
	GroupsDestroyed []string `json:"groupsDestroyed,omitempty"`
	// More reports that the run stopped at MaxPerRun with rooms left for the next run.
	More bool `json:"more"`
	// Millis is how long the run took.
	Millis int64 `json:"millis"`
}

// Run ends the rooms that are due: those whose scheduled end (or an asked-for end) has come and
// those paused for IdleTimeout, at most MaxPerRun of them. For each it drops the stream and
// forbids it until ForbidFor from now, announces LIVE_ENDED with the room's summary and marks the
// room ended. A room whose stream cannot be dropped stays as it is (unless EndOnDropFailure) and
// is tried again next run; one room's failure does not stop the others. Runs are idempotent: a
// room already ended is only settled. It then destroys the groups whose grace period has passed.
func (s *Service) Run(ctx context.Context) (Report, error) {
	start := time.Now()
	rep := Report{Ended: []string{}}
	if s.cloud == nil || s.im == nil {
		return rep, errors.New("streams: ending rooms needs the Cloud API and IM")
	}
	now := s.now()
	due, err := s.rooms.DueRooms(ctx, now, s.cfg.IdleTimeout, s.cfg.MaxPerRun+1)
	if err != nil {
		return rep, err
	}
	if len(due) > s.cfg.MaxPerRun {
		due, rep.More = due[:s.cfg.MaxPerRun], true
	}
	rep.Due = len(due)
	seen := map[string]bool{}
	for _, d := range due {
		if seen[d.RoomID] {
			continue
		}
		ended, settled, err := s.endDue(ctx, d)
		switch {
		case err != nil:
			if rep.Failed == nil {
				rep.Failed = map[string]string{}
			}
			rep.Failed[d.RoomID] = live.ErrorMessage(err)
			if live.ErrorCode(err) == live.EInternal {
				rep.Failed[d.RoomID] = err.Error()
			}
			s.log.Warn("ending a room failed; the next run tries again", "room", d.RoomID, "err", err)
		case ended:
			seen[d.RoomID] = true
			rep.Ended = append(rep.Ended, d.RoomID)
		case settled:
			rep.Settled++
		}
	}
	if s.cfg.DestroyGroupAfter > 0 {
		rep.GroupsDestroyed = s.destroyDue(ctx, now, s.cfg.MaxPerRun)
	}
	rep.Millis = time.Since(start).Milliseconds()
	s.log.Info("stream end run", "due", rep.Due, "ended", len(rep.Ended), "settled", rep.Settled, "failed", len(rep.Failed), "more", rep.More, "ms", rep.Millis)
	return rep, nil
}

// endDue handles one index entry: it ends its room when the entry still holds, and settles it.
func (s *Service) endDue(ctx context.Context, d rooms.Due) (ended, settled bool, err error) {
	v, err := s.rooms.Get(ctx, d.RoomID)
	if live.ErrorCode(err) == live.ENotFound {
		return false, true, s.rooms.Settle(ctx, d.Key)
	}
	if err != nil {
		return false, false, err
	}
	r := v.Room
	if d.Idle && (r.Status != live.StatusPaused || r.PausedAt == nil || r.PausedAt.Unix() != d.At.Unix()) {
		// The room resumed or ended since: the entry is stale.
		return false, true, s.rooms.Settle(ctx, d.Key)
	}
	if r.Status == live.StatusEnded && dropped(r) {
		return false, true, s.settleEnded(ctx, d.Key, r)
	}
	wasEnded := r.Status == live.StatusEnded
	r, err = s.end(ctx, r, s.cfg.EndOnDropFailure)
	if err != nil {
		return false, false, err
	}
	return !wasEnded, wasEnded, s.settleEnded(ctx, d.Key, r)
}

// dropped reports whether the room's stream was dropped at its end.
func dropped(r live.Room) bool { return r.Stream != nil && r.Stream.DroppedAt != nil }

// settleEnded removes the index entry of an ended room and, when groups are destroyed, records
// when its group is to go.
func (s *Service) settleEnded(ctx context.Context, key string, r live.Room) error {
	if s.cfg.DestroyGroupAfter > 0 && r.EndedAt != nil {
		at := r.EndedAt.Add(s.cfg.DestroyGroupAfter)
		k := destroysDir + fmt.Sprintf("%012d", at.Unix()) + "." + store.EscapeID(r.ID)
		if err := s.kv.Put(ctx, k, []byte{'1'}, 0); err != nil {
			return err
		}
	}
	return s.rooms.Settle(ctx, key)
}

// end drops and forbids the stream of r (a stream already gone counts as dropped), then, unless
// r has ended, announces LIVE_ENDED and marks the room ended with the drop recorded. When the drop
// fails, a room not yet ended is left as it is unless force is set; an ended room or a forced end
// is marked ended and the failure returned, so the caller keeps the room's entry for the next run.
func (s *Service) end(ctx context.Context, r live.Room, force bool) (live.Room, error) {
	var dropErr error
	if !dropped(r) {
		dropErr = s.drop(ctx, r)
		if dropErr != nil && !force && r.Status != live.StatusEnded {
			return r, dropErr
		}
	}
	if r.Status != live.StatusEnded {
		if err := s.announce(ctx, r.ID); err != nil {
			return r, err
		}
	} else if dropErr != nil || dropped(r) {
		return r, dropErr
	}
	next, err := s.rooms.UpdateStream(ctx, r.ID, func(r *live.Room, now time.Time) (bool, error) {
		changed, err := r.Transition(live.StatusEnded, now)
		if err != nil {
			return false, err
		}
		if dropErr == nil && !dropped(*r) {
			if r.Stream == nil {
				r.Stream = &live.Stream{}
			}
			t := now
			r.Stream.DroppedAt, r.Stream.Pushing, changed = &t, false, true
		}
		return changed, nil
	})
	if err != nil {
		return r, err
	}
	return next, dropErr
}

// drop drops the room's stream and forbids it for ForbidFor.
func (s *Service) drop(ctx context.Context, r live.Room) error {
	ref := s.ref(r)
	if err := s.cloud.Drop(ctx, ref); err != nil && !errors.Is(err, css.ErrStreamGone) {
		return fmt.Errorf("drop stream %s: %w", ref.Stream, err)
	}
	if s.cfg.ForbidFor > 0 {
		if err := s.cloud.Forbid(ctx, ref, s.now().Add(s.cfg.ForbidFor)); err != nil {
			return fmt.Errorf("forbid stream %s: %w", ref.Stream, err)
		}
	}
	return nil
}

// announce sends LIVE_ENDED to the room with its summary numbers (lists left out) as Ext. The
// message's Random is derived from the room, so IM discards a repeat within five minutes.
func (s *Service) announce(ctx context.Context, roomID string) error {
	sum, err := s.rooms.Summary(ctx, roomID)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	for k, v := range fields {
		if _, list := v.([]any); list {
			delete(fields, k)
		}
	}
	fields["status"] = live.StatusEnded
	ext, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	h := sha256.Sum256([]byte(LiveEndedEvent + "\x00" + roomID))
	_, err = s.im.SendGroupMsg(ctx, tim.SendGroupMsgRequest{
		GroupID:     roomID,
		Random:      binary.BigEndian.Uint32(h[:4]),
		MsgBody:     []tim.MsgElem{tim.CustomElem(LiveEndedEvent, string(ext))},
		MsgPriority: tim.PriorityHigh,
	})
	if kind, ok := tim.KindOf(err); ok && kind == tim.KindNotFound {
		return nil // the group is gone: nobody is left to tell
	}
	return err
}

// EndRoom ends a room by hand, as a due room is ended: the end is recorded first, so that the
// next run finishes it when this call cannot; the stream is dropped and forbidden and LIVE_ENDED
// announced. The room is marked ended even when the drop fails; the next run drops it then.
func (s *Service) EndRoom(ctx context.Context, roomID string) (live.Room, error) {
	v, err := s.rooms.Get(ctx, roomID)
	if err != nil {
		return live.Room{}, err
	}
	if v.Status == live.StatusEnded && dropped(v.Room) {
		return v.Room, nil
	}
	key, err := s.rooms.RequestEnd(ctx, roomID, s.now())
	if err != nil {
		return live.Room{}, err
	}
	if s.cloud == nil || s.im == nil {
		return live.Room{}, errors.New("streams: ending rooms needs the Cloud API and IM")
	}
	r, err := s.end(ctx, v.Room, true)
	if err != nil {
		if r.Status == live.StatusEnded {
			s.log.Warn("room ended but its stream was not dropped; the next run tries again", "room", roomID, "err", err)
			return r, nil
		}
		return live.Room{}, err
	}
	if err := s.settleEnded(ctx, key, r); err != nil {
		s.log.Warn("settling a room ended by hand failed; the next run does it", "room", roomID, "err", err)
	}
	return r, nil
}

// destroyDue destroys the groups whose time has come, up to limit, and returns their IDs.
func (s *Service) destroyDue(ctx context.Context, now time.Time, limit int) []string {
	items, err := s.kv.Scan(ctx, destroysDir, "", limit)
	if err != nil {
		s.log.Warn("listing groups to destroy failed", "err", err)
		return nil
	}
	var done []string
	for _, it := range items {
		_, name := store.Split(it.Key)
		if len(name) < 14 {
			continue
		}
		sec, err := strconv.ParseInt(name[:12], 10, 64)
		if err != nil || sec > now.Unix() {
			break
		}
		id := store.UnescapeID(name[13:])
		err = s.im.DestroyGroup(ctx, id)
		if kind, ok := tim.KindOf(err); ok && kind == tim.KindNotFound {
			err = nil
		}
		if err != nil {
			s.log.Warn("destroying an ended room's group failed; the next run tries again", "room", id, "err", err)
			continue
		}
		if _, err := s.kv.Delete(ctx, it.Key); err == nil {
			done = append(done, id)
		}
	}
	return done
}
