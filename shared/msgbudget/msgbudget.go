// Package msgbudget counts the messages a room sends in each second, in the store, so that every
// instance of every function shares one count: IM delivers at most 40 messages a second to a
// group and drops the rest, so what uriba sends on its own must leave room for the viewers.
package msgbudget

import (
	"context"
	"strconv"

	"github.com/uriba-live/uriba/shared/store"
)

// Counters is the part of the store a Budget uses. store.KV has these methods.
type Counters interface {
	Add(ctx context.Context, key string, delta int64) (int64, error)
	Delete(ctx context.Context, key string) (existed bool, err error)
}

// Budget counts one kind of message per room and second: the counter
// "{Prefix}{room}#{second}".
type Budget struct {
	Counters Counters
	// Prefix names the kind of message, such as "giftrate#".
	Prefix string
}

// Take counts one more message of the room in the second sec and returns how many it has
// counted in that second, this one included. The first taker of a second removes the counters of
// a few seconds before, so that they do not pile up.
func (b Budget) Take(ctx context.Context, roomID string, sec int64) (int64, error) {
	base := b.Prefix + store.EscapeID(roomID) + "#"
	n, err := b.Counters.Add(ctx, base+strconv.FormatInt(sec, 10), 1)
	if err != nil {
		return 0, err
	}
	if n == 1 {
		for back := int64(2); back <= 5; back++ {
			_, _ = b.Counters.Delete(ctx, base+strconv.FormatInt(sec-back, 10))
		}
	}
	return n, nil
}
