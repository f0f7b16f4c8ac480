package gifts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// The merge queue. A gift past the room's budget waits in its own pending entry (see mark): once
// its record says queued, the entry's value (pendingValue) is swapped for a queueEntry; a flush
// claims it with another swap, announces it in a merged message and removes the entry. Each step
// changes that one entry only when it holds what the step expects, so a step that comes late (a
// request that outlived its time, a flush whose lease ran out) finds the entry moved on and does
// nothing: a gift is queued once and announced in one message.

// queueEntry is a queued gift, the value of its pending entry.
type queueEntry struct {
	Op     string    `json:"op"`
	UserID string    `json:"userId"`
	Gift   live.Gift `json:"gift"`
	Count  int64     `json:"count"`
	Combo  int64     `json:"combo"`
	// Claim names the flush that took the gift for a message and ClaimedAt when (Unix seconds);
	// both are empty while it waits. A claim older than claimExpiry is taken over.
	Claim     string `json:"claim,omitempty"`
	ClaimedAt int64  `json:"claimedAt,omitempty"`
}

// claimExpiry is how long a flush's claim on a queued gift holds: far longer than a flush takes
// to decide its message, so that only a flush that stopped halfway has its claims taken over.
const claimExpiry = time.Minute

// queued is a gift found in the queue: its entry's key and value, and the gift.
type queued struct {
	key   string
	raw   []byte
	entry queueEntry
}

// MergedExt is the Ext of a merged SEND_GIFT, sent from the admin when a room's gift message
// budget is spent: the gifts of the last second or so, one entry per sender and gift with their
// counts added up and the highest combo.
type MergedExt struct {
	Merged bool          `json:"merged"`
	Gifts  []sendGiftExt `json:"gifts"`
}

// flushLater makes sure the gifts queued in the second sec are announced: the first gift queued
// in a second becomes its flusher and, at the end of the second, announces what the queue holds.
func (s *Service) flushLater(ctx context.Context, roomID string, sec int64) {
	won, err := s.kv.PutIfAbsent(ctx, "giftflush#"+store.EscapeID(roomID)+"#"+itoa(sec), []byte{'1'}, 10*time.Second)
	if err != nil || !won {
		return
	}
	if err := s.waitUntil(ctx, time.Unix(sec+1, 0)); err != nil {
		return
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
// One flush runs in a room at a time (a store lease of flushLease). A flush that finds the lease
// held returns at once; the holder rescans the queue each round, and the sweep flushes what is
// left. Flushes that overlap all the same, when a lease ran out, claim each gift before they
// announce it, so they never announce a gift twice.
func (s *Service) Flush(ctx context.Context, roomID string) (int, error) {
	lease := "giftflushing#" + store.EscapeID(roomID)
	won, err := s.kv.PutIfAbsent(ctx, lease, []byte{'1'}, flushLease)
	if err != nil || !won {
		return 0, err
	}
	defer func() { _, _ = s.kv.Delete(context.WithoutCancel(ctx), lease) }()
	flushID := rand.Text()
	done := 0
	for round := 0; round < maxFlushRounds; round++ {
		sent, more, err := s.drainOutbox(ctx, roomID)
		done += sent
		if err != nil {
			return done, err
		}
		waiting, full, err := s.queue(ctx, roomID)
		if err != nil {
			return done, err
		}
		if len(waiting) == 0 && !more {
			return done, nil
		}
		for _, batch := range mergeBatches(waiting) {
			if more {
				break
			}
			sec := s.clock().Unix()
			at, ok := s.slot(ctx, "giftmergerate#", roomID, sec, s.merged)
			if !ok {
				more = true
				break
			}
			sent, err := s.announceMerged(ctx, roomID, batch, flushID, sec, at)
			done += sent
			if errors.Is(err, errDropped) {
				more = true
				break
			}
			if err != nil {
				return done, err
			}
		}
		if !more && !full {
			return done, nil
		}
		// Wait for the next second's budget.
		if err := s.waitUntil(ctx, time.Unix(s.clock().Unix()+1, 0)); err != nil {
			return done, err
		}
	}
	return done, nil
}

// An outbox entry is a merged message decided but not known to be delivered, kept in
// "giftmergeout/{room}/{id}". It is written once its gifts are claimed, so a flush that stops
// halfway leaves the message, not its gifts: the next flush sends that same message again, with
// the same Random, which IM deduplicates.
type outboxEntry struct {
	Ops   []string `json:"ops"`
	Marks []string `json:"marks,omitempty"`
	Ext   string   `json:"ext"`
	// Dropped counts the times IM dropped the message for the room's message rate. Each try
	// after a drop gets a Random of its own, since IM may take a repeat of the Random for a
	// duplicate of the dropped message.
	Dropped int `json:"dropped,omitempty"`
}

// random is the IM Random of the entry's message.
func (e outboxEntry) random() uint32 {
	id := strings.Join(e.Ops, ",")
	if e.Dropped > 0 {
		id += "#" + itoa(int64(e.Dropped))
	}
	return randomOf(id)
}

func outboxDir(roomID string) string { return "giftmergeout/" + store.EscapeID(roomID) + "/" }

// outboxID names the entry of a message by its gifts.
func outboxID(ops []string) string {
	sum := sha256.Sum256([]byte(strings.Join(ops, ",")))
	return hex.EncodeToString(sum[:12])
}

// queue lists the room's queued gifts that no flush holds, oldest first, and reports whether
// there may be more than it listed.
func (s *Service) queue(ctx context.Context, roomID string) ([]queued, bool, error) {
	items, err := s.kv.Scan(ctx, pendingDir(roomID), "", store.MaxScan)
	if err != nil {
		return nil, false, err
	}
	expired := s.clock().Add(-claimExpiry).Unix()
	var out []queued
	for _, it := range items {
		var e queueEntry
		if it.Counter || len(it.Value) < 2 || json.Unmarshal(it.Value, &e) != nil || e.Op == "" {
			continue // a gift under way, or a count left unfinished
		}
		if e.Claim != "" && e.ClaimedAt > expired {
			continue
		}
		out = append(out, queued{key: it.Key, raw: it.Value, entry: e})
	}
	return out, len(items) == store.MaxScan, nil
}

// announceMerged claims the gifts of batch for the flush flushID, records the message of those it
// got in the outbox, sends it at at, with a slot of the second sec, and clears it. It returns
// how many gifts it announced.
func (s *Service) announceMerged(ctx context.Context, roomID string, batch []queued, flushID string, sec int64, at time.Time) (int, error) {
	claimed := make([]queued, 0, len(batch))
	for _, q := range batch {
		e := q.entry
		e.Claim, e.ClaimedAt = flushID, s.clock().Unix()
		swapped, err := s.kv.CompareAndSwap(ctx, q.key, q.raw, mustJSON(e), 0)
		if err != nil {
			return 0, err
		}
		if swapped {
			claimed = append(claimed, q)
		}
	}
	if len(claimed) == 0 {
		return 0, nil
	}
	entry := mergedMessage(claimed)
	key := outboxDir(roomID) + outboxID(entry.Ops)
	if err := s.kv.Put(ctx, key, mustJSON(entry), 0); err != nil {
		return 0, err
	}
	return s.deliverOutbox(ctx, roomID, key, entry, sec, at)
}

// deliverOutbox sends the message of entry at at, with a slot of the second sec, removes its
// gifts' pending entries, and then the entry itself.
func (s *Service) deliverOutbox(ctx context.Context, roomID, key string, entry outboxEntry, sec int64, at time.Time) (int, error) {
	if err := s.waitUntil(ctx, at); err != nil {
		return 0, err
	}
	reply, err := s.im.SendGroupMsg(ctx, tim.SendGroupMsgRequest{
		GroupID:     roomID,
		Random:      entry.random(),
		MsgPriority: tim.PriorityHigh,
		MsgBody:     []tim.MsgElem{tim.CustomElem(live.EventSendGift, entry.Ext)},
	})
	if err != nil {
		if refused(err) {
			// Sending it again would be refused again, and hold up every message after it.
			// Its gifts stay claimed until the claim expires, then go in new messages.
			s.log.Error("gifts: IM refused a merged message; its gifts go in new messages", "room", roomID, "err", err)
			if _, derr := s.kv.Delete(ctx, key); derr != nil {
				return 0, derr
			}
		}
		return 0, err
	}
	if reply.MsgDropReason != "" {
		// Not shown: the entry stays, and the next round sends it again.
		entry.Dropped++
		if err := s.kv.Put(ctx, key, mustJSON(entry), 0); err != nil {
			return 0, err
		}
		return 0, errDropped
	}
	s.charge(ctx, "giftmergerate#", roomID, sec)
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

// pendingValue is the value of the pending entry of a gift that is not queued.
var pendingValue = []byte{'1'}

// enqueue queues the gift op, recorded as queued, in its pending entry (rec.Queue), unless it is
// queued already or was announced, and makes sure it is announced (see flushLater).
func (s *Service) enqueue(ctx context.Context, op string, rec giftOp) error {
	e := queueEntry{Op: op, UserID: rec.UserID, Gift: rec.Gift, Count: rec.Count, Combo: rec.Combo}
	if _, err := s.kv.CompareAndSwap(ctx, rec.Queue, pendingValue, mustJSON(e), 0); err != nil {
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
		if errors.Is(err, errDropped) {
			return sent, true, nil
		}
		if err != nil {
			return sent, false, err
		}
	}
	return sent, false, nil
}

// errDropped is the error of a message IM took but dropped for the room's message rate: it may be
// sent again a moment later.
var errDropped = errors.New("gifts: IM dropped the message for the room's message rate")

// mergeBatches splits queued gifts into the gifts of messages whose Ext (see mergedMessage),
// encoded in the message, stays within MaxMergedExt.
func mergeBatches(gifts []queued) [][]queued {
	type key struct{ user, gift string }
	index := map[key]int{}
	var entries []sendGiftExt
	var members [][]queued
	for _, q := range gifts {
		k := key{q.entry.UserID, q.entry.Gift.GiftID}
		i, ok := index[k]
		if !ok {
			i = len(entries)
			index[k] = i
			entries = append(entries, entryOf(q.entry))
			members = append(members, nil)
		}
		entries[i].Count += q.entry.Count
		entries[i].Combo = max(entries[i].Combo, q.entry.Combo)
		members[i] = append(members[i], q)
	}
	var out [][]queued
	size := 0
	for i, e := range entries {
		// The entry as the message carries it, escaped inside a JSON string, and a comma.
		grow := len(mustJSON(string(mustJSON(e)))) - 2 + 1
		if len(out) == 0 || size+grow > MaxMergedExt {
			out = append(out, nil)
			size = len(mustJSON(`{"merged":true,"gifts":[]}`)) - 2
		}
		size += grow
		out[len(out)-1] = append(out[len(out)-1], members[i]...)
	}
	return out
}

// entryOf is the Ext entry of one queued gift.
func entryOf(m queueEntry) sendGiftExt {
	return sendGiftExt{GiftID: m.Gift.GiftID, Name: m.Gift.Name, Price: m.Gift.Price,
		ImageURL: m.Gift.ImageURL, AnimationURL: m.Gift.AnimationURL, UserID: m.UserID}
}

// mergedMessage makes the message of queued gifts: one entry per sender and gift, with their
// counts added up and the highest combo.
func mergedMessage(gifts []queued) outboxEntry {
	type key struct{ user, gift string }
	index := map[key]int{}
	var ext MergedExt
	ext.Merged = true
	var out outboxEntry
	for _, q := range gifts {
		m := q.entry
		k := key{m.UserID, m.Gift.GiftID}
		i, ok := index[k]
		if !ok {
			i = len(ext.Gifts)
			index[k] = i
			ext.Gifts = append(ext.Gifts, entryOf(m))
		}
		ext.Gifts[i].Count += m.Count
		ext.Gifts[i].Combo = max(ext.Gifts[i].Combo, m.Combo)
		out.Ops = append(out.Ops, m.Op)
		out.Marks = append(out.Marks, q.key)
	}
	slices.Sort(out.Ops)
	out.Ext = string(mustJSON(ext))
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// refused reports whether err is a refusal that sending the same message again would meet too,
// rather than a failure that may pass.
func refused(err error) bool {
	switch live.ErrorCode(err) {
	case live.EIMUnavailable, live.EIMRateLimited, live.EStoreUnavailable:
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}
