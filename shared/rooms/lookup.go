package rooms

import (
	"context"

	"github.com/uriba-live/uriba/shared/live"
)

// Room returns the stored room roomID without its product history or counters, in one store
// call, or ENotFound. Other services use it to check a room's status.
//
// IM calls: none.
func (s *Service) Room(ctx context.Context, roomID string) (live.Room, error) {
	if err := validateRoomRef(roomID); err != nil {
		return live.Room{}, err
	}
	r, _, err := s.load(ctx, roomID)
	return r, err
}
