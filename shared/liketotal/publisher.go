package liketotal

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/uriba-live/uriba/shared/backoff"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
)

// Counts reads a room's like total; *roomstats.Stats is one.
type Counts interface {
	// Likes returns the room's like total.
	Likes(ctx context.Context, roomID string) (int64, error)
}

// KV is the store the Publisher remembers what it published in.
type KV interface {
	Counter(ctx context.Context, key string) (int64, error)
	Max(ctx context.Context, key string, v int64) (int64, error)
}

// Fields sets a group custom field in IM; *tim.Client is one.
type Fields interface {
	SetGroupField(ctx context.Context, groupID, key, value string) error
}

// Timeline records a room's like totals over time; *roomstats.Stats is one.
type Timeline interface {
	SampleLikes(ctx context.Context, roomID string, at time.Time, total int64) error
}

// MaxWait bounds how long the Publisher waits for a job to fall due.
const MaxWait = 15 * time.Second

// Publisher sets the like total of rooms whose jobs fall due.
type Publisher struct {
	// Counts reads the totals, KV remembers the highest published, IM sets the field Field.
	Counts Counts
	KV     KV
	IM     Fields
	Field  string
	// Timeline, when set, records each published total at the time it is published, for the
	// room's chart of likes over time; a failure there is logged, the total stays published.
	Timeline Timeline
	// Now and Sleep tell the time and wait; nil means the clock and a context-aware sleep.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives failures; nil discards them.
	Logger *slog.Logger
}

// Apply publishes the totals of the like-total jobs in batch, once the latest of them is due,
// and returns the IDs of the jobs whose room failed. A total no higher than the one published
// last is not published again, so a redelivered or late job costs no IM call.
func (p *Publisher) Apply(ctx context.Context, batch []live.Activity) (failed []string, err error) {
	if len(batch) == 0 {
		return nil, nil
	}
	var due time.Time
	for _, a := range batch {
		if a.NotBefore.After(due) {
			due = a.NotBefore
		}
	}
	if wait := min(due.Sub(p.now()), MaxWait); wait > 0 {
		if err := p.sleep(ctx, wait); err != nil {
			return ids(batch), err
		}
	}
	done := map[string]bool{}
	for _, a := range batch {
		if done[a.RoomID] {
			continue
		}
		done[a.RoomID] = true
		if err := p.publish(ctx, a.RoomID, time.Duration(a.Amount)*time.Millisecond); err != nil {
			p.logger().WarnContext(ctx, "like total not published", "room", a.RoomID, "err", err)
			for _, b := range batch {
				if b.RoomID == a.RoomID {
					failed = append(failed, b.ID)
				}
			}
		}
	}
	return failed, nil
}

// publish sets room's field to its current total unless that total was published already.
func (p *Publisher) publish(ctx context.Context, room string, interval time.Duration) error {
	// A job that was held up behind others must not follow the previous update closer than an
	// interval: it waits for the rest of it.
	last, err := p.KV.Counter(ctx, publishedAtKey(room))
	if err != nil {
		return err
	}
	if wait := min(time.UnixMilli(last).Add(interval).Sub(p.now()), MaxWait); last > 0 && wait > 0 {
		if err := p.sleep(ctx, wait); err != nil {
			return err
		}
	}
	total, err := p.Counts.Likes(ctx, room)
	if err != nil {
		return err
	}
	published, err := p.KV.Counter(ctx, publishedKey(room))
	if err != nil {
		return err
	}
	if total <= published {
		return nil
	}
	if err := p.IM.SetGroupField(ctx, room, p.Field, strconv.FormatInt(total, 10)); err != nil {
		return fmt.Errorf("set %s: %w", p.Field, err)
	}
	if p.Timeline != nil {
		if err := p.Timeline.SampleLikes(ctx, room, p.now(), total); err != nil {
			p.logger().WarnContext(ctx, "like total not recorded in the timeline", "room", room, "err", err)
		}
	}
	if _, err := p.KV.Max(ctx, publishedAtKey(room), p.now().UnixMilli()); err != nil {
		return err
	}
	_, err = p.KV.Max(ctx, publishedKey(room), total)
	return err
}

func (p *Publisher) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Publisher) sleep(ctx context.Context, d time.Duration) error {
	return backoff.Policy{Sleep: p.Sleep}.Wait(ctx, d)
}

func (p *Publisher) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func ids(batch []live.Activity) []string {
	out := make([]string, len(batch))
	for i, a := range batch {
		out[i] = a.ID
	}
	return out
}

// Split returns an Applier that hands the like-total jobs of each batch to totals and every
// other activity to next, and reports the failures of both.
func Split(next queue.Applier, totals queue.Applier) queue.Applier {
	return split{next: next, totals: totals}
}

type split struct{ next, totals queue.Applier }

func (s split) Apply(ctx context.Context, batch []live.Activity) ([]string, error) {
	var jobs, rest []live.Activity
	for _, a := range batch {
		if a.Kind == live.KindLikeTotal {
			jobs = append(jobs, a)
		} else {
			rest = append(rest, a)
		}
	}
	var failed []string
	if len(rest) > 0 {
		f, err := s.next.Apply(ctx, rest)
		if err != nil {
			return append(f, ids(jobs)...), err
		}
		failed = f
	}
	if len(jobs) > 0 {
		f, err := s.totals.Apply(ctx, jobs)
		failed = append(failed, f...)
		if err != nil {
			return failed, err
		}
	}
	return failed, nil
}
