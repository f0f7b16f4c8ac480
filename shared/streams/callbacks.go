package streams

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/uriba-live/uriba/shared/css"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// Outcome says what a callback did.
type Outcome string

// Outcomes of Callback.
const (
	Applied   Outcome = "applied"   // the room changed
	Unchanged Outcome = "unchanged" // a repeated or older event: nothing to change
	Ignored   Outcome = "ignored"   // an event type or stream uriba does not follow
)

// Callback checks and applies one stream callback, the request body body. A malformed body is
// EMalformedJSON; a bad sign or a passed t is EUnauthorized. A push start (event_type 1) makes the
// room live unless it has ended; an interruption (0) pauses a live room; events are ordered by
// their event_time, so a repeated or late one changes nothing. A recording (100) or screenshot
// (200) is added to the room once, however often it is delivered. Other event types, and streams
// of no room, are ignored, since Tencent would otherwise repeat them.
func (s *Service) Callback(ctx context.Context, body []byte) (Outcome, error) {
	var e css.Event
	if err := json.Unmarshal(body, &e); err != nil {
		return "", live.Errorf(live.EMalformedJSON, "The callback is not the JSON of a stream callback.")
	}
	if s.cfg.CallbackKey != "" {
		if err := css.Verify(s.cfg.CallbackKey, e, s.now()); err != nil {
			if errors.Is(err, css.ErrStale) {
				return "", live.Errorf(live.EUnauthorized, "The callback's t has passed.")
			}
			return "", live.Errorf(live.EUnauthorized, "The callback's sign is not valid.")
		}
	}
	switch e.EventType {
	case css.EventPushStarted, css.EventPushStopped, css.EventRecording, css.EventScreenshot:
	default:
		s.log.Info("stream callback of a type not followed", "event_type", e.EventType, "stream", e.Stream())
		return Ignored, nil
	}
	stream := e.Stream()
	roomID, err := s.rooms.RoomOfStream(ctx, stream)
	if live.ErrorCode(err) == live.ENotFound {
		s.log.Warn("stream callback for a stream of no room", "stream", stream, "event_type", e.EventType)
		return Ignored, nil
	}
	if err != nil {
		return "", err
	}
	return s.once(ctx, stream, e, func() (Outcome, error) {
		if e.EventType == css.EventPushStarted || e.EventType == css.EventPushStopped {
			return s.push(ctx, roomID, e)
		}
		return s.file(ctx, roomID, e)
	})
}

// once runs apply unless the stream's event of this type and sequence was applied already: a
// dedupe record is taken first and given back when apply fails, so that Tencent's retry applies
// the event then.
func (s *Service) once(ctx context.Context, stream string, e css.Event, apply func() (Outcome, error)) (Outcome, error) {
	id := string(e.Sequence)
	if id == "" {
		id = e.EventTime.String() + e.FileID + e.PicURL + e.VideoURL
	}
	key := "streamseen#" + store.EscapeID(stream) + "#" + strconv.Itoa(e.EventType) + "#" + store.EscapeID(id)
	fresh, err := s.kv.PutIfAbsent(ctx, key, []byte{'1'}, seenTTL)
	if err != nil {
		return "", err
	}
	if !fresh {
		return Unchanged, nil
	}
	outcome, err := apply()
	if err != nil {
		if _, derr := s.kv.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.log.Error("giving back a stream callback's dedupe record failed; its retry will be ignored", "key", key, "err", derr)
		}
		return "", err
	}
	return outcome, nil
}

// push applies a push start or stop, ordered by event time.
func (s *Service) push(ctx context.Context, roomID string, e css.Event) (Outcome, error) {
	at := s.now().Truncate(time.Second)
	if sec := e.EventTime.Int(); sec > 0 {
		at = time.Unix(sec, 0).UTC()
	}
	changed := false
	_, err := s.rooms.UpdateStream(ctx, roomID, func(r *live.Room, now time.Time) (bool, error) {
		c, err := r.ApplyPush(e.EventType == css.EventPushStarted, at, string(e.Sequence), now)
		changed = c
		return c, err
	})
	if err != nil {
		return "", err
	}
	if changed {
		return Applied, nil
	}
	return Unchanged, nil
}

// file adds a recording or a screenshot to the room.
func (s *Service) file(ctx context.Context, roomID string, e css.Event) (Outcome, error) {
	_, err := s.rooms.UpdateStream(ctx, roomID, func(r *live.Room, _ time.Time) (bool, error) {
		if e.EventType == css.EventScreenshot {
			url := e.PicFullURL
			if url == "" {
				url = e.PicURL
			}
			r.AddScreenshot(url)
			return true, nil
		}
		r.AddRecording(live.Recording{FileID: e.FileID, URL: e.VideoURL, Format: e.FileFormat,
			StartedAt: unix(e.StartTime.Int()), EndedAt: unix(e.EndTime.Int()),
			DurationSeconds: e.Duration.Int(), Bytes: e.FileSize.Int()})
		return true, nil
	})
	if err != nil {
		return "", err
	}
	return Applied, nil
}

func unix(sec int64) *time.Time {
	if sec <= 0 {
		return nil
	}
	t := time.Unix(sec, 0).UTC()
	return &t
}
