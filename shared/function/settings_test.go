package function

import (
	"testing"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/rooms"
)

func TestRoomFieldNamesAreConfigurable(t *testing.T) {
	env := map[string]string{"ROOM_FIELD_PRODUCT": "CUR_GOODS", "ROOM_FIELD_STATUS": "live_state"}
	l := config.NewLoader(func(k string) string { return env[k] })
	if f := LoadRoomFields(l); l.Err() != nil || f != (rooms.Fields{Product: "CUR_GOODS", Status: "live_state", Likes: "LIKE_TOTAL"}) {
		t.Fatalf("fields %+v, %v", f, l.Err())
	}
	for name, env := range map[string]map[string]string{
		"leading digit": {"ROOM_FIELD_STATUS": "1status"},
		"too long":      {"ROOM_FIELD_PRODUCT": "CURRENT_PRODUCT_X"},
		"punctuation":   {"ROOM_FIELD_STATUS": "room-status"},
		"duplicate":     {"ROOM_FIELD_STATUS": "ADD_GOODS"},
		"likes clash":   {"ROOM_FIELD_LIKES": "room_status"},
	} {
		l := config.NewLoader(func(k string) string { return env[k] })
		if f := LoadRoomFields(l); l.Err() == nil || f != rooms.DefaultFields() {
			t.Errorf("%s: accepted as %+v", name, f)
		}
	}
}
