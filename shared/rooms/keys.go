package rooms

import (
	"fmt"
	"strings"

	"github.com/uriba-live/uriba/shared/live"
)

// Store keys. Room IDs may hold any printable ASCII, so they are escaped: an ID with '/' must not
// reach another directory.
const (
	roomsDir     = "rooms/"
	statusPrefix = "rooms/status/"
	leasePrefix  = "roomlease#"
	historyRoot  = "roomproducts/"
)

// roomKey is the record of a room.
func roomKey(id string) string { return roomsDir + escape(id) }

// statusDir is the index directory of a status.
func statusDir(s live.RoomStatus) string { return statusPrefix + string(s) + "/" }

// statusKey is the index entry of a room in a status.
func statusKey(s live.RoomStatus, id string) string { return statusDir(s) + escape(id) }

// historyDir is the directory of a room's product history.
func historyDir(id string) string { return historyRoot + escape(id) + "/" }

// historyKey is the n-th entry of a room's product history; the zero-padded number keeps byte
// order numeric.
func historyKey(id string, n int) string { return historyDir(id) + fmt.Sprintf("%010d", n) }

// leaseKey is the lease that serialises changes of a room. It is in no directory.
func leaseKey(id string) string { return leasePrefix + escape(id) }

// escape replaces '%' and '/' with their percent-encodings; IDs without them, the usual case,
// are returned as they are.
func escape(id string) string {
	if !strings.ContainsAny(id, "%/") {
		return id
	}
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		switch c := id[i]; c {
		case '%':
			b.WriteString("%25")
		case '/':
			b.WriteString("%2F")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescape reverses escape.
func unescape(name string) string {
	if !strings.Contains(name, "%") {
		return name
	}
	r := strings.NewReplacer("%2F", "/", "%25", "%")
	return r.Replace(name)
}
