// Package clock gives tests one settable time source. Production code takes its clock as a
// func() time.Time, usually a Now field of its Config that defaults to time.Now; a test passes
// the Now method of a Manual clock there and moves the time by hand instead of sleeping.
package clock

import (
	"sync"
	"time"
)

// Manual is a clock that shows a fixed time until it is moved with Advance or Set. Its methods
// are safe for concurrent use. The zero Manual shows the zero time.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// NewManual returns a clock showing t.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now returns the time the clock shows. Pass the method value c.Now wherever a func() time.Time
// is taken.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d, backwards when d is negative, and returns the new time.
func (c *Manual) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// Set makes the clock show t.
func (c *Manual) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
