package gifts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// mergeItem is a billed gift waiting in "giftmerge/{room}/{op}" to be announced merged.
type mergeItem struct {
	Op     string    `json:"op"`
	UserID string    `json:"userId"`
	Gift   live.Gift `json:"gift"`
	Count  int64     `json:"count"`
	Combo  int64     `json:"combo"`
	// Mark is the gift's entry in the room's pending index, removed once the gift is announced.
	Mark string `json:"mark,omitempty"`
}

// MergedExt is the Ext of a merged SEND_GIFT, sent from the admin when a room's gift message
// budget is spent: the gifts of the last second or so, one entry per sender and gift with their
// counts added up and the highest combo.
type MergedExt struct {
	Merged bool          `json:"merged"`
	Gifts  []sendGiftExt `json:"gifts"`
}

func mergeDir(roomID string) string     { return "giftmerge/" + store.EscapeID(roomID) + "/" }
func mergeKey(roomID, op string) string { return mergeDir(roomID) + op }

// flushLater makes sure the gifts queued in the second sec are announced: the first gift queued
// in a second becomes its flusher and, at the end of the second, announces what the queue holds.
func (s *Service) flushLater(ctx context.Context, roomID string, sec int64) {
	won, err := s.kv.PutIfAbsent(ctx, "giftflush#"+store.EscapeID(roomID)+"#"+itoa(sec), []byte{'1'}, 10*time.Second)
	if err != nil || !won {
		return
	}
	if wait := time.Unix(sec+1, 0).Sub(s.clock()); wait > 0 && wait <= time.Second {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
	if _, err := s.Flush(ctx, roomID); err != nil {
		s.log.Warn("gifts: merged gifts not announced yet", "room", roomID, "err", err)
	}
}

// maxFlushRounds bounds the seconds one flush waits for budget.
const maxFlushRounds = 3

// flushLease bounds how long a flush that stopped halfway keeps others from flushing the room.
const flushLease = 10 * time.Second

// Flush announces the gifts waiting in the room's merge queue, in merged SEND_GIFT messages
// within the room's budget for them, and returns how many gifts it announced. What does not fit
// waits for the next flush.
//
// One flush runs in a room at a time (a store lease of flushLease): flushes that overlapped would
// announce the same queued gifts twice. A flush that finds the lease held returns at once; the
// holder rescans the queue each round, and Reconcile flushes what is left.
func (s *Service) Flush(ctx context.Context, roomID string) (int, error) {
	lease := "giftflushing#" + store.EscapeID(roomID)
	won, err := s.kv.PutIfAbsent(ctx, lease, []byte{'1'}, flushLease)
	if err != nil || !won {
		return 0, err
	}
	defer func() { _, _ = s.kv.Delete(context.WithoutCancel(ctx), lease) }()
	done := 0
	for round := 0; round < maxFlushRounds; round++ {
		sent, more, err := s.drainOutbox(ctx, roomID)
		done += sent
		if err != nil {
			return done, err
		}
		items, err := s.kv.Scan(ctx, mergeDir(roomID), "", store.MaxScan)
		if err != nil {
			return done, err
		}
		if len(items) == 0 && !more {
			return done, nil
		}
		batches := mergeBatches(items)
		for _, b := range batches {
			if more {
				break
			}
			sec := s.clock().Unix()
			at, ok := s.slot(ctx, "giftmergerate#", roomID, sec, s.merged)
			if !ok {
				more = true
				break
			}
			ext, _ := json.Marshal(MergedExt{Merged: true, Gifts: b.gifts})
			entry := outboxEntry{Ops: b.ops, Marks: b.marks, Ext: string(ext)}
			sent, err := s.announceMerged(ctx, roomID, entry, sec, at)
			done += sent
			if err != nil {
				return done, err
			}
		}
		if !more && len(items) < store.MaxScan {
			return done, nil
		}
		// Wait for the next second's budget.
		next := time.Unix(s.clock().Unix()+1, 0).Sub(s.clock())
		t := time.NewTimer(next)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return done, ctx.Err()
		}
	}
	return done, nil
}

// An outbox entry is a merged message decided but not known to be delivered, kept in
// "giftmergeout/{room}/{id}". Its gifts leave the merge queue when it is written, so a flush that
// stops halfway leaves the message, not its gifts: the next flush sends that same message again,
// with the same Random, which IM deduplicates. A queued gift is never announced in two messages.
type outboxEntry struct {
	Ops   []string `json:"ops"`
	Marks []string `json:"marks,omitempty"`
	Ext   string   `json:"ext"`
}

func outboxDir(roomID string) string { return "giftmergeout/" + store.EscapeID(roomID) + "/" }

// outboxID names the entry of a message by its gifts.
func outboxID(ops []string) string {
	sum := sha256.Sum256([]byte(strings.Join(ops, ",")))
	return hex.EncodeToString(sum[:12])
}

// announceMerged records entry in the outbox, takes its gifts out of the merge queue, sends it at
// at, with a slot of the second sec, and clears it, and returns how many gifts it announced.
func (s *Service) announceMerged(ctx context.Context, roomID string, entry outboxEntry, sec int64, at time.Time) (int, error) {
	raw, err := json.Marshal(entry)
	if err != nil {
		return 0, err
	}
	key := outboxDir(roomID) + outboxID(entry.Ops)
	if err := s.kv.Put(ctx, key, raw, 0); err != nil {
		return 0, err
	}
	return s.deliverOutbox(ctx, roomID, key, entry, sec, at)
}

// deliverOutbox takes the gifts of entry out of the merge queue, sends its message at at, with a
// slot of the second sec, and removes it from the outbox.
func (s *Service) deliverOutbox(ctx context.Context, roomID, key string, entry outboxEntry, sec int64, at time.Time) (int, error) {
	for _, op := range entry.Ops {
		if _, err := s.kv.Delete(ctx, mergeKey(roomID, op)); err != nil {
			return 0, err
		}
	}
	if err := s.pace(ctx, at); err != nil {
		return 0, err
	}
	_, err := s.im.SendGroupMsg(ctx, tim.SendGroupMsgRequest{
		GroupID:     roomID,
		Random:      randomOf(strings.Join(entry.Ops, ",")),
		MsgPriority: tim.PriorityHigh,
		MsgBody:     []tim.MsgElem{tim.CustomElem(live.EventSendGift, entry.Ext)},
	})
	if err != nil {
		return 0, err
	}
	s.charge(ctx, "giftmergerate#", roomID, sec)
	// The gifts' pending entries go first, the entry last: a gift Reconcile finds listed and in
	// neither the queue nor the outbox was never queued (see finish).
	for _, mark := range entry.Marks {
		if _, err := s.kv.Delete(ctx, mark); err != nil {
			return 0, err
		}
	}
	if _, err := s.kv.Delete(ctx, key); err != nil {
		return 0, err
	}
	return len(entry.Ops), nil
}

// enqueue puts the gift op, recorded as queued, in the room's merge queue, listed as pending under
// mark, and makes sure it is announced (see flushLater).
func (s *Service) enqueue(ctx context.Context, op string, rec giftOp, mark string) error {
	item := mustJSON(mergeItem{Op: op, UserID: rec.UserID, Gift: rec.Gift, Count: rec.Count, Combo: rec.Combo, Mark: mark})
	if err := s.kv.Put(ctx, mergeKey(rec.RoomID, op), item, 0); err != nil {
		return err
	}
	s.flushLater(ctx, rec.RoomID, s.clock().Unix())
	return nil
}

// drainOutbox sends the messages a flush left in the outbox, within the room's budget, and
// reports how many gifts they announced and whether any is left for lack of budget.
func (s *Service) drainOutbox(ctx context.Context, roomID string) (sent int, more bool, err error) {
	items, err := s.kv.Scan(ctx, outboxDir(roomID), "", store.MaxScan)
	if err != nil {
		return 0, false, err
	}
	for _, it := range items {
		var entry outboxEntry
		if it.Counter || json.Unmarshal(it.Value, &entry) != nil {
			continue
		}
		sec := s.clock().Unix()
		at, ok := s.slot(ctx, "giftmergerate#", roomID, sec, s.merged)
		if !ok {
			return sent, true, nil
		}
		n, err := s.deliverOutbox(ctx, roomID, it.Key, entry, sec, at)
		sent += n
		if err != nil {
			return sent, false, err
		}
	}
	return sent, false, nil
}

// mergeBatch is one merged message: its gifts and the operations they hold.
type mergeBatch struct {
	gifts []sendGiftExt
	ops   []string
	marks []string
}

// mergeBatches groups queued gifts by sender and gift, adding their counts, into messages of at
// most MaxMergedItems entries.
func mergeBatches(items []store.Item) []mergeBatch {
	type key struct{ user, gift string }
	index := map[key]int{}
	var entries []sendGiftExt
	var ops, marks [][]string
	for _, it := range items {
		var m mergeItem
		if it.Counter || json.Unmarshal(it.Value, &m) != nil {
			continue
		}
		k := key{m.UserID, m.Gift.GiftID}
		i, ok := index[k]
		if !ok {
			i = len(entries)
			index[k] = i
			entries = append(entries, sendGiftExt{GiftID: m.Gift.GiftID, Name: m.Gift.Name, Price: m.Gift.Price,
				ImageURL: m.Gift.ImageURL, AnimationURL: m.Gift.AnimationURL, UserID: m.UserID})
			ops = append(ops, nil)
			marks = append(marks, nil)
		}
		entries[i].Count += m.Count
		entries[i].Combo = max(entries[i].Combo, m.Combo)
		ops[i] = append(ops[i], m.Op)
		if m.Mark != "" {
			marks[i] = append(marks[i], m.Mark)
		}
	}
	var out []mergeBatch
	for start := 0; start < len(entries); start += MaxMergedItems {
		end := min(start+MaxMergedItems, len(entries))
		b := mergeBatch{gifts: entries[start:end]}
		for i := start; i < end; i++ {
			b.ops = append(b.ops, ops[i]...)
			b.marks = append(b.marks, marks[i]...)
		}
		slices.Sort(b.ops)
		out = append(out, b)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
