package rooms

import (
	"fmt"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// Store keys. Room IDs may hold any printable ASCII, so each is passed through store.EscapeID: an
// ID with '/' must not reach another directory, nor one with '#' end a part of the lease key.
const (
	roomsDir     = "rooms/"
	statusPrefix = "rooms/status/"
	leasePrefix  = "roomlease#"
	historyRoot  = "roomproducts/"
)

// roomKey is the record of a room.
func roomKey(id string) string { return roomsDir + store.EscapeID(id) }

// statusDir is the index directory of a status.
func statusDir(s live.RoomStatus) string { return statusPrefix + string(s) + "/" }

// statusKey is the index entry of a room in a status.
func statusKey(s live.RoomStatus, id string) string { return statusDir(s) + store.EscapeID(id) }

// historyDir is the directory of a room's product history.
func historyDir(id string) string { return historyRoot + store.EscapeID(id) + "/" }

// historyKey is the n-th entry of a room's product history; the zero-padded number keeps byte
// order numeric.
func historyKey(id string, n int) string { return historyDir(id) + fmt.Sprintf("%010d", n) }

// leaseKey is the lease that serialises changes of a room. It is in no directory.
func leaseKey(id string) string { return leasePrefix + store.EscapeID(id) }
