package clock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
)

var t0 = time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)

func TestManualShowsOnlyTheTimeItIsGiven(t *testing.T) {
	c := clock.NewManual(t0)
	now := c.Now
	if got := now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	if got := c.Advance(90 * time.Second); !got.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("Advance returned %v", got)
	}
	if got := now(); !got.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("Now after Advance = %v", got)
	}
	c.Advance(-time.Minute)
	if got := now(); !got.Equal(t0.Add(30 * time.Second)) {
		t.Fatalf("Now after going back = %v", got)
	}
	day2 := t0.AddDate(0, 0, 1)
	c.Set(day2)
	if got := now(); !got.Equal(day2) {
		t.Fatalf("Now after Set = %v, want %v", got, day2)
	}
	var zero clock.Manual
	if !zero.Now().IsZero() {
		t.Fatalf("the zero clock shows %v", zero.Now())
	}
}

func TestManualIsSafeForConcurrentUse(t *testing.T) {
	c := clock.NewManual(t0)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(800*time.Millisecond); !got.Equal(want) {
		t.Fatalf("Now = %v after 800 advances of 1ms, want %v", got, want)
	}
}
