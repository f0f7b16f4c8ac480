package rooms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/uriba-live/uriba/shared/backoff"

	"github.com/uriba-live/uriba/shared/live"
)

// aspect is the part of a room one change touches; each is carried by one IM property.
type aspect int

const (
	aspectStatus  aspect = iota // the status custom field
	aspectProduct               // the current-product custom field
	aspectNotice                // the group Notification
	aspectStream                // the status custom field when the status changes, nothing otherwise
	aspectNone                  // nothing IM shows
)

// maxSwaps bounds the CompareAndSwap attempts of one change. Under the lease only a change whose
// lease expired can interfere, so a second attempt is already rare.
const maxSwaps = 8

// edit is one change of a room.
type edit struct {
	// aspect is what IM shows of the change.
	aspect aspect
	// apply changes the room and reports whether anything changed. It runs on the stored room,
	// and again on a fresher one when the room changed meanwhile.
	apply func(r *live.Room) (bool, error)
	// before, when set, writes what must exist once the room is stored changed, such as the index
	// entry of a new status. It runs after IM accepted the change and before the room is written.
	before func(ctx context.Context, next live.Room) error
	// after, when set, tidies up once the room is stored changed; its failures are logged.
	after func(ctx context.Context, prev, next live.Room) error
}

// SetStatus moves the room to status to. Only legal transitions are accepted (see
// live.CanTransition); others are EConflict and change nothing. Asking for the status the room
// already has changes nothing and is not an error. Ending a room records EndedAt.
//
// IM calls: one modify_group_base_info that sets the status field alone; none when nothing
// changes.
func (s *Service) SetStatus(ctx context.Context, roomID string, to live.RoomStatus) (live.Room, error) {
	if !to.Valid() {
		return live.Room{}, live.Errorf(live.EInvalid, "status %q is not one of created, live, paused, ended.", string(to))
	}
	now := s.clock()
	return s.update(ctx, roomID, edit{
		aspect: aspectStatus,
		apply:  func(r *live.Room) (bool, error) { return r.Transition(to, now) },
		// The new status's index entries come first, so that the index never misses the room.
		before: s.indexStatus,
		after:  s.unindexStatus,
	})
}

// SetNotice replaces the room's notice, the group Notification: at most 300 bytes of UTF-8; the
// empty notice clears it. Ended rooms accept it too, for a closing word.
//
// IM calls: one modify_group_base_info that sets the Notification alone; none when the notice
// is unchanged.
func (s *Service) SetNotice(ctx context.Context, roomID, notice string) (live.Room, error) {
	if err := live.ValidateNotice(notice); err != nil {
		return live.Room{}, err
	}
	return s.update(ctx, roomID, edit{aspect: aspectNotice, apply: func(r *live.Room) (bool, error) {
		if r.Notice == notice {
			return false, nil
		}
		r.Notice = notice
		return true, nil
	}})
}

// PinProduct makes p the room's current product: the product field is set to p's compact JSON
// and p joins the room's history. A product whose encoding exceeds 512 bytes is
// EUnprocessable, with the excess in the message; it is never truncated. An ended room refuses
// it with EConflict. Pinning the current product again announces it again.
//
// IM calls: one modify_group_base_info that sets the product field alone.
func (s *Service) PinProduct(ctx context.Context, roomID string, p live.Product) (live.Room, error) {
	if err := p.Validate(); err != nil {
		return live.Room{}, err
	}
	if p.SaleEndsAt != nil {
		t := p.SaleEndsAt.UTC()
		p.SaleEndsAt = &t
	}
	if _, err := p.FieldValue(); err != nil {
		return live.Room{}, err
	}
	now := s.clock()
	var entry live.PinnedProduct
	return s.update(ctx, roomID, edit{
		aspect: aspectProduct,
		apply: func(r *live.Room) (bool, error) {
			var err error
			entry, err = r.Pin(p, now)
			return err == nil, err
		},
		before: func(ctx context.Context, next live.Room) error {
			return s.putHistory(ctx, roomID, next.ProductsPinned, entry)
		},
		after: func(ctx context.Context, prev, next live.Room) error {
			return s.closeHistory(ctx, prev, now)
		},
	})
}

// UnpinProduct clears the room's current product: the product field is set to "", which deletes
// it. An ended room refuses it with EConflict; a room without a product is left as it is.
//
// IM calls: one modify_group_base_info that deletes the product field alone; none when no
// product is pinned.
func (s *Service) UnpinProduct(ctx context.Context, roomID string) (live.Room, error) {
	now := s.clock()
	return s.update(ctx, roomID, edit{
		aspect: aspectProduct,
		apply:  func(r *live.Room) (bool, error) { return r.Unpin() },
		after: func(ctx context.Context, prev, next live.Room) error {
			return s.closeHistory(ctx, prev, now)
		},
	})
}

// update applies one edit to a room: under the room's lease it applies the edit to the stored
// room, sends the changed aspect to IM, and stores the result with CompareAndSwap, applying the
// edit again to a fresher room when the swap fails. An edit that changes nothing ends there,
// without IM or store writes. When the store fails after IM accepted the change, IM is sent the
// stored state again.
func (s *Service) update(ctx context.Context, roomID string, e edit) (live.Room, error) {
	if err := validateRoomRef(roomID); err != nil {
		return live.Room{}, err
	}
	release, err := s.lease(ctx, roomID)
	if err != nil {
		return live.Room{}, err
	}
	defer release()

	cur, raw, err := s.load(ctx, roomID)
	if err != nil {
		return live.Room{}, err
	}
	next, changed, err := applied(cur, e.apply)
	if err != nil || !changed {
		return cur, err
	}
	if e.aspect == aspectStream {
		e.aspect = aspectNone
		if next.Status != cur.Status {
			e.aspect = aspectStatus
		}
	}
	if err := s.publish(ctx, e.aspect, next); err != nil {
		return live.Room{}, err
	}
	for range maxSwaps {
		if e.before != nil {
			if err := e.before(ctx, next); err != nil {
				s.revert(ctx, e.aspect, cur)
				return live.Room{}, err
			}
		}
		newRaw, err := encodeRoom(next)
		if err != nil {
			return live.Room{}, err
		}
		swapped, err := s.kv.CompareAndSwap(ctx, roomKey(roomID), raw, newRaw, 0)
		if err != nil {
			s.revert(ctx, e.aspect, cur)
			return live.Room{}, err
		}
		if swapped {
			if e.after != nil {
				prev := cur
				s.cleanup(ctx, "tidy up after a change", func(ctx context.Context) error { return e.after(ctx, prev, next) })
			}
			return next, nil
		}
		// Someone changed the room, which only a change whose lease expired can do: apply this
		// edit again to what is stored now.
		if cur, raw, err = s.load(ctx, roomID); err != nil {
			return live.Room{}, err
		}
		var again bool
		next, again, err = applied(cur, e.apply)
		if err != nil || !again {
			// IM shows this change, the store another state: make IM show the store's.
			s.revert(ctx, e.aspect, cur)
			return cur, err
		}
	}
	s.revert(ctx, e.aspect, cur)
	return live.Room{}, fmt.Errorf("rooms: room %q changed %d times during one update", roomID, maxSwaps)
}

// applied returns a copy of r with change applied, and whether it changed anything.
func applied(r live.Room, change func(r *live.Room) (bool, error)) (live.Room, bool, error) {
	next := r
	changed, err := change(&next)
	return next, changed, err
}

// publish sends aspect a of room r to IM, with one IM call that changes one property.
func (s *Service) publish(ctx context.Context, a aspect, r live.Room) error {
	switch a {
	case aspectNone:
		return nil
	case aspectStatus:
		return s.im.SetGroupField(ctx, r.ID, s.fields.Status, string(r.Status))
	case aspectProduct:
		value := ""
		if r.Product != nil {
			v, err := r.Product.FieldValue()
			if err != nil {
				return err
			}
			value = v
		}
		return s.im.SetGroupField(ctx, r.ID, s.fields.Product, value)
	default:
		return s.im.SetGroupNotification(ctx, r.ID, r.Notice)
	}
}

// revert makes IM show aspect a of room r again after a change reached IM but not the store.
func (s *Service) revert(ctx context.Context, a aspect, r live.Room) {
	s.cleanup(ctx, "revert IM change", func(ctx context.Context) error { return s.publish(ctx, a, r) })
}

// lease takes the lease of a room, waiting up to the configured LeaseWait for a change in
// progress to finish, and returns the function that releases it. While the lease is held no other
// change of the room starts, so the order of IM writes is the order of store writes.
func (s *Service) lease(ctx context.Context, roomID string) (release func(), err error) {
	var token [8]byte
	_, _ = rand.Read(token[:])
	value := []byte(hex.EncodeToString(token[:]))
	key := leaseKey(roomID)
	wait := backoff.Policy{Attempts: math.MaxInt, Base: 5 * time.Millisecond, Max: 200 * time.Millisecond, Budget: s.wait}.Start()
	for {
		wait.Attempt()
		created, err := s.kv.PutIfAbsent(ctx, key, value, s.ttl)
		if err != nil {
			return nil, err
		}
		if created {
			return func() {
				s.cleanup(ctx, "release lease", func(ctx context.Context) error {
					_, err := s.kv.Delete(ctx, key)
					return err
				})
			}, nil
		}
		delay, ok := wait.Next()
		if !ok {
			return nil, live.Errorf(live.EConflict, "Another change to room %q is in progress; try again.", roomID)
		}
		if err := wait.Wait(ctx, delay); err != nil {
			return nil, err
		}
	}
}
