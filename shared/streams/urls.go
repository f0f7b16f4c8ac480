package streams

import (
	"context"
	"time"

	"github.com/uriba-live/uriba/shared/css"
	"github.com/uriba-live/uriba/shared/live"
)

// PushURLs is the answer to an anchor asking for its push URLs.
type PushURLs struct {
	StreamName string    `json:"streamName"`
	ExpiresAt  time.Time `json:"expiresAt"`
	Push       css.Push  `json:"push"`
	Play       css.Play  `json:"play"`
}

// PlayURLs is the answer to a viewer asking for a room's play URLs.
type PlayURLs struct {
	StreamName string    `json:"streamName"`
	ExpiresAt  time.Time `json:"expiresAt"`
	Play       css.Play  `json:"play"`
}

// Who is the caller of Push: a merchant, or a viewer with its user ID.
type Who struct {
	Merchant bool
	UserID   string
}

// Push returns the signed push URLs (and play URLs) of room roomID for who, which must be a
// merchant or the room's anchor (EForbidden otherwise). An ended room, or one past its scheduled
// end and grace, is EConflict. The URLs expire after URLTTL, never past the scheduled end plus
// Grace.
func (s *Service) Push(ctx context.Context, roomID string, who Who) (PushURLs, error) {
	v, err := s.rooms.Get(ctx, roomID)
	if err != nil {
		return PushURLs{}, err
	}
	r := v.Room
	if !who.Merchant && who.UserID != r.AnchorID {
		return PushURLs{}, live.Errorf(live.EForbidden, "Only the room's anchor or a merchant may push to room %s.", r.ID)
	}
	exp, err := s.expiry(r)
	if err != nil {
		return PushURLs{}, err
	}
	if err := s.rooms.BindStream(ctx, r); err != nil {
		return PushURLs{}, err
	}
	return PushURLs{StreamName: r.StreamName, ExpiresAt: exp, Push: s.cfg.Domains.PushURLs(r.StreamName, exp),
		Play: s.cfg.Domains.PlayURLs(r.StreamName, exp)}, nil
}

// Play returns the play URLs of room roomID, signed when a playback key is configured, with the
// expiry of Push. An ended room is EConflict.
func (s *Service) Play(ctx context.Context, roomID string) (PlayURLs, error) {
	v, err := s.rooms.Get(ctx, roomID)
	if err != nil {
		return PlayURLs{}, err
	}
	exp, err := s.expiry(v.Room)
	if err != nil {
		return PlayURLs{}, err
	}
	return PlayURLs{StreamName: v.StreamName, ExpiresAt: exp, Play: s.cfg.Domains.PlayURLs(v.StreamName, exp)}, nil
}

// expiry returns when URLs of room r issued now expire, or EConflict when the room has ended or
// its time is up.
func (s *Service) expiry(r live.Room) (time.Time, error) {
	if r.Status == live.StatusEnded {
		return time.Time{}, live.Errorf(live.EConflict, "Room %s has ended; its stream cannot be pushed or played.", r.ID)
	}
	now := s.now()
	exp := now.Add(s.cfg.URLTTL).Truncate(time.Second)
	if r.ScheduledEndAt != nil {
		limit := r.ScheduledEndAt.Add(s.cfg.Grace).Truncate(time.Second)
		if !limit.After(now) {
			return time.Time{}, live.Errorf(live.EConflict, "Room %s is past its scheduled end; it is about to end.", r.ID)
		}
		if limit.Before(exp) {
			exp = limit
		}
	}
	return exp.UTC(), nil
}
