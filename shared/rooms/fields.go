package rooms

import (
	"fmt"
	"slices"

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
	// it; the like totals do (package liketotal).
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
// digits and '_', not starting with a digit) and that the keys differ.
func (f Fields) Validate() error {
	keys := []string{f.Product, f.Status}
	if f.Likes != "" {
		keys = append(keys, f.Likes)
	}
	for i, key := range keys {
		if err := tim.ValidateFieldKey(key); err != nil {
			return fmt.Errorf("rooms: %q is not a group custom field key: %w", key, err)
		}
		if slices.Contains(keys[:i], key) {
			return fmt.Errorf("rooms: two fields are both %q", key)
		}
	}
	return nil
}
