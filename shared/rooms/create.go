package rooms

import (
	"context"
	"errors"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/tim"
)

// CreateParams describe a new room.
type CreateParams struct {
	// RoomID is the room's ID and its IM GroupId; one is generated when it is empty.
	RoomID string
	// Title is the group Name: 1 to 30 bytes.
	Title string
	// AnchorID is the IM user who hosts the room and owns the group.
	AnchorID string
	// Introduction is the group Introduction: at most 240 bytes.
	Introduction string
	// ScheduledStartAt and ScheduledEndAt plan the live; the end comes after the start.
	ScheduledStartAt *time.Time
	ScheduledEndAt   *time.Time
}

// Validate reports the first problem of p as an EInvalid error. It checks the form of the
// anchor's ID; Service.Create also refuses the IM admin account as an anchor.
func (p CreateParams) Validate() error {
	if p.RoomID != "" {
		if err := live.ValidateRoomID(p.RoomID); err != nil {
			return err
		}
	}
	for _, err := range []error{
		live.ValidateTitle(p.Title),
		live.InField("anchorId", live.ValidateUserID(p.AnchorID)),
		live.ValidateIntroduction(p.Introduction),
		live.ValidateSchedule(p.ScheduledStartAt, p.ScheduledEndAt),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// Create makes a room: it imports the anchor into IM, creates the AVChatRoom group with the
// status field set to created, and stores the room. A room ID that is taken, in the store or in
// IM (IM errors 10021 and 10025), is an EConflict error. Nothing is left half-made: when the
// group cannot be created nothing is stored, and when the room cannot be stored the group is
// destroyed again. An anchor that is the app's IM admin account, or an ID IM reserves, is an
// EInvalid error before any IM call.
//
// IM calls: account_import and create_group; destroy_group too when storing fails.
func (s *Service) Create(ctx context.Context, p CreateParams) (live.Room, error) {
	if err := p.Validate(); err != nil {
		return live.Room{}, err
	}
	if err := live.CheckMemberID(p.AnchorID, s.admin); err != nil {
		return live.Room{}, live.InField("anchorId", err)
	}
	now := s.clock()
	generated := p.RoomID == ""
	id := p.RoomID
	if generated {
		id = newRoomID(now)
	} else if _, ok, err := s.kv.Get(ctx, roomKey(id)); err != nil {
		return live.Room{}, err
	} else if ok {
		return live.Room{}, taken(id)
	}
	room := live.NewRoom(id, p.Title, p.AnchorID, p.Introduction, utc(p.ScheduledStartAt), utc(p.ScheduledEndAt), now)
	raw, err := encodeRoom(room)
	if err != nil {
		return live.Room{}, err
	}

	if err := s.im.AccountImport(ctx, tim.AccountImportRequest{UserID: p.AnchorID}); err != nil {
		return live.Room{}, err
	}
	_, err = s.im.CreateGroup(ctx, tim.CreateGroupRequest{
		OwnerAccount:   p.AnchorID,
		Type:           tim.GroupTypeAVChatRoom,
		GroupID:        id,
		Name:           p.Title,
		Introduction:   p.Introduction,
		AppDefinedData: []tim.KeyValue{{Key: s.fields.Status, Value: string(live.StatusCreated)}},
	})
	if groupIDInUse(err) {
		var e *tim.Error
		// A repeated attempt that finds a generated ID in use found the group its own first
		// attempt made: nobody else knows that ID.
		if !generated || !errors.As(err, &e) || e.Attempts < 2 {
			return live.Room{}, taken(id)
		}
		err = nil
	}
	if err != nil {
		return live.Room{}, err
	}

	if room.ScheduledEndAt != nil {
		// The end's index entry comes first, so that the room's end is never missed.
		if err := s.kv.Put(ctx, dueKey(endsDir, *room.ScheduledEndAt, id), indexValue, 0); err != nil {
			s.cleanup(ctx, "destroy group", func(ctx context.Context) error { return s.im.DestroyGroup(ctx, id) })
			return live.Room{}, err
		}
	}
	created, err := s.kv.PutIfAbsent(ctx, roomKey(id), raw, 0)
	if err == nil && !created {
		err = taken(id)
	}
	if err == nil {
		if err = s.kv.Put(ctx, statusKey(live.StatusCreated, id), indexValue, 0); err != nil {
			s.cleanup(ctx, "delete room", func(ctx context.Context) error {
				_, err := s.kv.Delete(ctx, roomKey(id))
				return err
			})
		}
	}
	if err != nil {
		s.cleanup(ctx, "destroy group", func(ctx context.Context) error { return s.im.DestroyGroup(ctx, id) })
		return live.Room{}, err
	}
	return room, nil
}

// indexValue is the value of a status index entry; only its key matters.
var indexValue = []byte{'1'}

func taken(id string) error {
	return live.Errorf(live.EConflict, "Room ID %q is already in use.", id)
}

func groupIDInUse(err error) bool {
	return tim.HasIMCode(err, tim.CodeGroupIDInUse) || tim.HasIMCode(err, tim.CodeGroupIDInUse2)
}

// cleanup runs an undo step with a context of its own, since the caller's may have ended, and
// logs its failure: the caller is already being told about the failure that made it necessary.
func (s *Service) cleanup(ctx context.Context, what string, f func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := f(ctx); err != nil {
		s.log.Error("rooms: clean-up failed; IM and the store may disagree", "step", what, "err", err)
	}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
