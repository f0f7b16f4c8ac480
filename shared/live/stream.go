package live

import "time"

// MaxRecordings bounds the recordings a room keeps; later ones are counted only.
const MaxRecordings = 100

// Stream is the state of a room's live stream, as the streaming service's callbacks reported it.
type Stream struct {
	// Pushing reports whether the anchor is pushing, as of Since, the event time of the latest
	// push start or stop applied.
	Pushing bool       `json:"pushing"`
	Since   *time.Time `json:"since,omitempty"`
	// Sequence is the callback sequence of that event.
	Sequence string `json:"sequence,omitempty"`
	// DroppedAt is when uriba dropped the stream and forbade new pushes, at the room's end.
	DroppedAt *time.Time `json:"droppedAt,omitempty"`
	// Recordings are the recording files of the stream, the first MaxRecordings of them;
	// RecordingCount counts them all.
	Recordings     []Recording `json:"recordings,omitempty"`
	RecordingCount int         `json:"recordingCount,omitempty"`
	// Screenshots counts the screenshots taken; LastScreenshot is the latest one's URL.
	Screenshots    int    `json:"screenshots,omitempty"`
	LastScreenshot string `json:"lastScreenshot,omitempty"`
}

// Recording is one recording file of a stream.
type Recording struct {
	FileID          string     `json:"fileId,omitempty"`
	URL             string     `json:"url"`
	Format          string     `json:"format,omitempty"`
	StartedAt       *time.Time `json:"startedAt,omitempty"`
	EndedAt         *time.Time `json:"endedAt,omitempty"`
	DurationSeconds int64      `json:"durationSeconds,omitempty"`
	Bytes           int64      `json:"bytes,omitempty"`
}

// ApplyPush applies a push start (started) or stop reported for event time at, and reports
// whether the room changed. Events are ordered by their time, not their arrival: one older than
// the latest applied changes nothing, so a late stop never pauses a stream that started again
// later; events of the same second apply in their order of arrival, except a repeat (the same
// sequence and kind), which changes nothing. A start makes a created or paused room live; a stop
// pauses a live room; an ended room keeps its status. Status changes are dated at, or now when at
// is later.
func (r *Room) ApplyPush(started bool, at time.Time, sequence string, now time.Time) (bool, error) {
	if r.Stream == nil {
		r.Stream = &Stream{}
	}
	s := r.Stream
	if s.Since != nil {
		if at.Before(*s.Since) || (at.Equal(*s.Since) && (s.Pushing == started) && (sequence == s.Sequence || sequence == "")) {
			return false, nil
		}
	}
	s.Pushing, s.Since, s.Sequence = started, &at, sequence
	when := at
	if when.After(now) {
		when = now
	}
	switch {
	case started && (r.Status == StatusCreated || r.Status == StatusPaused):
		_, err := r.Transition(StatusLive, when)
		return true, err
	case !started && r.Status == StatusLive:
		_, err := r.Transition(StatusPaused, when)
		return true, err
	}
	return true, nil
}

// AddRecording records a recording file of the room's stream.
func (r *Room) AddRecording(rec Recording) {
	if r.Stream == nil {
		r.Stream = &Stream{}
	}
	r.Stream.RecordingCount++
	if len(r.Stream.Recordings) < MaxRecordings {
		r.Stream.Recordings = append(r.Stream.Recordings, rec)
	}
}

// AddScreenshot counts a screenshot of the room's stream.
func (r *Room) AddScreenshot(url string) {
	if r.Stream == nil {
		r.Stream = &Stream{}
	}
	r.Stream.Screenshots++
	if url != "" {
		r.Stream.LastScreenshot = url
	}
}
