package roomstats

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/uriba-live/uriba/shared/store"
)

// TimelineStep is the span of one point of a room's timeline.
const TimelineStep = 10 * time.Second

// MaxTimelinePoints is the most points Timeline returns; a longer live is shown in wider steps.
const MaxTimelinePoints = 360

// Point is a room's viewers and likes in one step of its timeline: the most viewers counted in
// the step, and the like total published by its end.
type Point struct {
	At      time.Time `json:"at"`
	Viewers int64     `json:"viewers"`
	Likes   int64     `json:"likes"`
}

// Timeline samples are counters in the room's timeline directory, two per step that saw a
// change: "<step>v", the most viewers counted, and "<step>l", the highest like total published.
// Steps are Unix times divided by TimelineStep, zero-padded so that they list in time order.
func timelineDir(roomID string) string { return "roomtimeline/" + store.EscapeID(roomID) + "/" }

func timelineKey(roomID string, at time.Time, kind byte) string {
	return fmt.Sprintf("%s%012d%c", timelineDir(roomID), at.Unix()/int64(TimelineStep/time.Second), kind)
}

// sampleViewers records viewers in the timeline step of now: one store call.
func (s *Stats) sampleViewers(ctx context.Context, roomID string, viewers int64) error {
	_, err := s.kv.Max(ctx, timelineKey(roomID, s.clock(), 'v'), max(viewers, 0))
	return err
}

// SampleLikes records the room's like total at, as published, in the timeline: one store call.
// The like-total publisher calls it at most once an interval per room, so likes cost nothing
// more on their way in.
func (s *Stats) SampleLikes(ctx context.Context, roomID string, at time.Time, total int64) error {
	_, err := s.kv.Max(ctx, timelineKey(roomID, at, 'l'), total)
	return err
}

// Timeline returns the room's viewers and likes over time, from the first step with a sample to
// the last, one point a TimelineStep (wider when there would be more than MaxTimelinePoints).
// Steps without a sample carry the previous point's values. A room without samples has none.
func (s *Stats) Timeline(ctx context.Context, roomID string) ([]Point, error) {
	type sample struct{ viewers, likes int64 }
	samples := map[int64]*sample{}
	var first, last int64 = -1, -1
	err := scanCounters(ctx, s.kv, timelineDir(roomID), func(name string, n int64) {
		if len(name) < 2 {
			return
		}
		step, err := strconv.ParseInt(name[:len(name)-1], 10, 64)
		if err != nil {
			return
		}
		sm := samples[step]
		if sm == nil {
			sm = &sample{viewers: -1, likes: -1}
			samples[step] = sm
		}
		if name[len(name)-1] == 'v' {
			sm.viewers = n
		} else {
			sm.likes = n
		}
		if first < 0 || step < first {
			first = step
		}
		last = max(last, step)
	})
	if err != nil {
		return nil, err
	}
	if first < 0 {
		return []Point{}, nil
	}
	width := (last-first)/MaxTimelinePoints + 1 // steps per point
	points := make([]Point, 0, (last-first)/width+1)
	var viewers, likes int64 // carried from step to step
	for step := first; step <= last; step += width {
		peak := int64(-1)
		for i := step; i < step+width && i <= last; i++ {
			if sm := samples[i]; sm != nil {
				if sm.viewers >= 0 {
					viewers = sm.viewers
					peak = max(peak, sm.viewers)
				}
				likes = max(likes, sm.likes)
			}
		}
		if peak < 0 {
			peak = viewers
		}
		at := time.Unix(step*int64(TimelineStep/time.Second), 0).UTC()
		points = append(points, Point{At: at, Viewers: peak, Likes: likes})
	}
	return points, nil
}
