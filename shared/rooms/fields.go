package rooms

import (
	"fmt"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/tim"
)

// Fields names the group custom fields a room uses. Clients of Tencent's im-live-sells SDK
// receive a change of a field as an event named by its key, so the keys are part of the wire
// protocol; each must also be configured in the IM console.
type Fields struct {
	// Product carries the current product as compact JSON; "" when none is pinned.
	Product string
	// Status carries the room status: created, live, paused or ended.
	Status string
	// Likes carries the room's like total as a decimal count. The rooms service does not write
	// it; the like counter does.
	Likes string
}

// Default field keys, those of the im-live-sells SDK's documentation.
const (
	DefaultProductField = "ADD_GOODS"
	DefaultStatusField  = "room_status"
	DefaultLikesField   = "LIKE_TOTAL"
)

// DefaultFields returns the default field keys.
func DefaultFields() Fields {
	return Fields{Product: DefaultProductField, Status: DefaultStatusField, Likes: DefaultLikesField}
}

// Validate checks that every key is a valid group custom field key (1 to 16 bytes of letters,
// digits and '_', not starting with a digit) and that no two keys are the same.
func (f Fields) Validate() error {
	named := []struct{ env, key string }{
		{"ROOM_FIELD_PRODUCT", f.Product}, {"ROOM_FIELD_STATUS", f.Status}, {"ROOM_FIELD_LIKES", f.Likes},
	}
	for i, n := range named {
		if err := tim.ValidateFieldKey(n.key); err != nil {
			var detail string
			if e, ok := err.(*tim.Error); ok {
				detail = e.Detail
			}
			return fmt.Errorf("%s is %q: a group custom field key must be 1 to 16 letters, digits or '_', not starting with a digit (%s)", n.env, n.key, detail)
		}
		for _, prev := range named[:i] {
			if prev.key == n.key {
				return fmt.Errorf("%s and %s both name the field %q", prev.env, n.env, n.key)
			}
		}
	}
	return nil
}

// LoadFields reads ROOM_FIELD_PRODUCT, ROOM_FIELD_STATUS and ROOM_FIELD_LIKES, which default to
// ADD_GOODS, room_status and LIKE_TOTAL, and records a problem with l when they are not valid.
func LoadFields(l *config.Loader) Fields {
	f := Fields{
		Product: l.String("ROOM_FIELD_PRODUCT", DefaultProductField),
		Status:  l.String("ROOM_FIELD_STATUS", DefaultStatusField),
		Likes:   l.String("ROOM_FIELD_LIKES", DefaultLikesField),
	}
	if err := f.Validate(); err != nil {
		l.Problemf("%s.", err)
		return DefaultFields()
	}
	return f
}
