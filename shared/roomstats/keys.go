package roomstats

import (
	"strconv"

	"github.com/uriba-live/uriba/shared/store"
)

// Keys of the dedupe records of membership callbacks and like messages. Like member and message
// records they are written at the rate of the callbacks, so they stay out of directories. An event
// ID is escaped like any other ID; an empty one has no key.

func joinKey(roomID, event string) string { return eventKey("roomjoin#", roomID, event) }
func exitKey(roomID, event string) string { return eventKey("roomexit#", roomID, event) }

func eventKey(prefix, roomID, event string) string {
	if event == "" {
		return ""
	}
	return prefix + store.EscapeID(roomID) + "#" + store.EscapeID(event)
}

func likeMessageKey(roomID, from string, random uint64) string {
	return "roomlike#" + store.EscapeID(roomID) + "#" + store.EscapeID(from) + "#" + strconv.FormatUint(random, 10)
}
