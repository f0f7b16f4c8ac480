package rooms

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uriba-live/uriba/shared/live"
)

// The product history is kept apart from the room's record, one record per pin, so that a
// change of a room rewrites a small record whatever its history. The n-th pin of a room is the
// record historyKey(id, n).

// putHistory stores the n-th history entry of a room.
func (s *Service) putHistory(ctx context.Context, roomID string, n int, e live.PinnedProduct) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return s.kv.Put(ctx, historyKey(roomID, n), b, 0)
}

// closeHistory ends the history entry of the product prev had pinned, if any.
func (s *Service) closeHistory(ctx context.Context, prev live.Room, now time.Time) error {
	if prev.Product == nil || prev.ProductsPinned == 0 {
		return nil
	}
	key := historyKey(prev.ID, prev.ProductsPinned)
	raw, ok, err := s.kv.Get(ctx, key)
	if err != nil || !ok {
		return err
	}
	var e live.PinnedProduct
	if err := json.Unmarshal(raw, &e); err != nil {
		return err
	}
	if e.UnpinnedAt != nil {
		return nil
	}
	e.UnpinnedAt = &now
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = s.kv.CompareAndSwap(ctx, key, raw, b, 0)
	return err
}

// history returns the last live.MaxProductHistory entries of a room's history, oldest first.
func (s *Service) history(ctx context.Context, r live.Room) ([]live.PinnedProduct, error) {
	n := r.ProductsPinned
	if n == 0 {
		return nil, nil
	}
	after := ""
	if n > live.MaxProductHistory {
		after = historyKey(r.ID, n-live.MaxProductHistory)
	}
	items, err := s.kv.Scan(ctx, historyDir(r.ID), after, live.MaxProductHistory)
	if err != nil {
		return nil, err
	}
	out := make([]live.PinnedProduct, 0, len(items))
	for _, it := range items {
		if it.Counter {
			continue
		}
		var e live.PinnedProduct
		if err := json.Unmarshal(it.Value, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
