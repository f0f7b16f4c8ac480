package standin

import (
	"sync"
	"time"
)

// window counts events in the sliding second that ends now.
type window struct {
	times []time.Time
}

// count returns how many events happened less than a second before now.
func (w *window) count(now time.Time) int {
	i := 0
	for i < len(w.times) && now.Sub(w.times[i]) >= time.Second {
		i++
	}
	w.times = w.times[i:]
	return len(w.times)
}

// add records an event at now.
func (w *window) add(now time.Time) { w.times = append(w.times, now) }

// restLimits holds one sliding window per REST command.
type restLimits struct {
	mu      sync.Mutex
	windows map[string]*window
}

// allow records a call of command at now and reports whether it stays within limit calls in
// the second that ends now. Refused calls are not counted. A negative limit allows every call.
func (l *restLimits) allow(command string, limit int, now time.Time) bool {
	if limit < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.windows == nil {
		l.windows = make(map[string]*window)
	}
	w := l.windows[command]
	if w == nil {
		w = &window{}
		l.windows[command] = w
	}
	if w.count(now) >= limit {
		return false
	}
	w.add(now)
	return true
}

// restLimit returns the calls per second allowed for command.
func (im *IM) restLimit(command string) int {
	limit := im.cfg.RESTCallsPerSecond
	if command == cmdAccountImport && limit > accountImportCallsPerSecond {
		return accountImportCallsPerSecond
	}
	return limit
}
