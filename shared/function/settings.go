package function

import (
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/tim"
)

// LoadRoomFields reads ROOM_FIELD_PRODUCT, ROOM_FIELD_STATUS and ROOM_FIELD_LIKES, the group
// custom fields of a room, which default to ADD_GOODS, room_status and LIKE_TOTAL, and records a
// problem with env when they are not valid field keys or two name the same field.
func LoadRoomFields(env *config.Loader) rooms.Fields {
	f := rooms.Fields{
		Product: env.String("ROOM_FIELD_PRODUCT", rooms.DefaultProductField),
		Status:  env.String("ROOM_FIELD_STATUS", rooms.DefaultStatusField),
		Likes:   env.String("ROOM_FIELD_LIKES", rooms.DefaultLikesField),
	}
	named := []struct{ name, key string }{{"ROOM_FIELD_PRODUCT", f.Product}, {"ROOM_FIELD_STATUS", f.Status}, {"ROOM_FIELD_LIKES", f.Likes}}
	ok := true
	for i, n := range named {
		if tim.ValidateFieldKey(n.key) != nil {
			env.Problemf("%s is %q: a group custom field key must be 1 to 16 letters, digits or '_', not starting with a digit.", n.name, n.key)
			ok = false
		}
		for _, prev := range named[:i] {
			if prev.key == n.key {
				env.Problemf("%s and %s both name the field %q.", prev.name, n.name, n.key)
				ok = false
			}
		}
	}
	if !ok {
		return rooms.DefaultFields()
	}
	return f
}
