package gifts

import (
	"context"
	"time"

	"github.com/uriba-live/uriba/shared/live"
)

// Swept reports what a Sweep did.
type Swept struct {
	// Rooms counts the rooms swept.
	Rooms int `json:"rooms"`
	// Finished counts the gifts left halfway that were finished: announced, queued for a merged
	// announcement, refunded or declined.
	Finished int `json:"finished"`
	// Announced counts the queued gifts announced in merged messages.
	Announced int `json:"announced"`
	// Failed names the rooms whose sweep failed, with the reason; the next sweep tries again.
	Failed map[string]string `json:"failed,omitempty"`
}

// sweepFlushing bounds the time a sweep spends announcing queued gifts, and sweepMargin is the
// time it leaves before its context's deadline.
const (
	sweepFlushing = 20 * time.Second
	sweepMargin   = 3 * time.Second
)

// Sweep settles the gifts of each room that no request will settle: those their requests left
// halfway for longer than ReconcileAfter, and those still queued for a merged announcement, which
// otherwise wait for the room's next gift. A schedule calls it, so that a storm's last gifts are
// announced and a crashed request's coins are never left in between. One failing room does not
// stop the others.
func (s *Service) Sweep(ctx context.Context, roomIDs []string) Swept {
	out := Swept{}
	until := s.clock().Add(sweepFlushing)
	if deadline, ok := ctx.Deadline(); ok && deadline.Add(-sweepMargin).Before(until) {
		until = deadline.Add(-sweepMargin)
	}
	for _, room := range roomIDs {
		out.Rooms++
		rep, err := s.Reconcile(ctx, room, s.cfg.ReconcileAfter)
		out.Finished += rep.Delivered + rep.Merged + rep.Refunded + rep.Declined
		out.Announced += rep.Announced
		// A storm leaves more queued gifts than one flush announces: flush until the queue is
		// empty or the sweep's time is spent.
		for n := 1; err == nil && n > 0 && s.clock().Before(until); {
			n, err = s.Flush(ctx, room)
			out.Announced += n
		}
		if err != nil {
			if out.Failed == nil {
				out.Failed = map[string]string{}
			}
			out.Failed[room] = live.ErrorMessage(err)
			s.log.Warn("gifts: sweeping a room failed; the next sweep tries again", "room", room, "err", err)
		}
	}
	return out
}
