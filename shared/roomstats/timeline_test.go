package roomstats

import (
	"context"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/store/memstore"
)

func TestTheTimelineFollowsViewersAndPublishedLikes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
	s := New(memstore.New(nil), 0)
	s.Now = func() time.Time { return now }

	if points, err := s.Timeline(ctx, "room-1"); err != nil || len(points) != 0 {
		t.Fatalf("a room without samples: %v %v", points, err)
	}
	mustJoin := func(event string, n int64) {
		t.Helper()
		if _, err := s.Join(ctx, "room-1", event, n); err != nil {
			t.Fatal(err)
		}
	}
	mustJoin("j1", 2)
	mustJoin("j2", 1) // 3 viewers in the first step
	if _, err := s.Leave(ctx, "room-1", "x1", 2); err != nil {
		t.Fatal(err)
	}
	if err := s.SampleLikes(ctx, "room-1", now.Add(3*time.Second), 40); err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * time.Second) // three steps later, nothing in between
	mustJoin("j3", 4)
	if err := s.SampleLikes(ctx, "room-1", now, 25); err != nil { // a late, lower total
		t.Fatal(err)
	}

	points, err := s.Timeline(ctx, "room-1")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
	want := []Point{
		{start, 3, 40},                       // the step's most viewers, not its last count
		{start.Add(10 * time.Second), 3, 40}, // steps without a sample carry the previous point
		{start.Add(20 * time.Second), 3, 40},
		{start.Add(30 * time.Second), 5, 40}, // likes never go back
	}
	if len(points) != len(want) {
		t.Fatalf("points %+v, want %+v", points, want)
	}
	for i := range want {
		if !points[i].At.Equal(want[i].At) || points[i].Viewers != want[i].Viewers || points[i].Likes != want[i].Likes {
			t.Errorf("point %d: %+v, want %+v", i, points[i], want[i])
		}
	}
	if other, _ := s.Timeline(ctx, "room-10"); len(other) != 0 {
		t.Fatalf("another room's timeline: %+v", other)
	}
}

func TestALongTimelineIsShownInWiderSteps(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	s := New(memstore.New(nil), 0)
	s.Now = func() time.Time { return now }
	for i := range 1500 { // over four hours of steps, more than one Scan page
		if err := s.SampleLikes(ctx, "room-1", now.Add(time.Duration(i)*TimelineStep), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	points, err := s.Timeline(ctx, "room-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(points) > MaxTimelinePoints || len(points) < MaxTimelinePoints/2 {
		t.Fatalf("%d points, want at most %d and not far fewer", len(points), MaxTimelinePoints)
	}
	if last := points[len(points)-1]; last.Likes != 1499 {
		t.Fatalf("last point %+v, want the last total 1499", last)
	}
}
