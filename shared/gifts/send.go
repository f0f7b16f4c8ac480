package gifts

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strconv"
	"time"

	"github.com/uriba-live/uriba/shared/backoff"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/msgbudget"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// SendParams is a gift a viewer sends to a room.
type SendParams struct {
	RoomID string
	// UserID is the sender, as authentication established it.
	UserID string
	GiftID string
	Count  int64
	// Key is the request's Idempotency-Key: it names the gift, so that a repeat bills and shows
	// it once.
	Key string
}

// Sent is the answer of Send.
type Sent struct {
	GiftID string `json:"giftId"`
	Count  int64  `json:"count"`
	// Combo is 1 for a gift, and rises by one for each send of the same gift by the same viewer
	// within the combo window.
	Combo int64 `json:"combo"`
	// Balance is the sender's balance after the gift.
	Balance int64 `json:"balance"`
	// Coins is what the gift cost: its price times count.
	Coins int64 `json:"coins"`
	// Merged is true when the room's message budget was spent and the gift is announced in a
	// merged SEND_GIFT, within about a second.
	Merged bool `json:"merged,omitempty"`
}

// Gift operation states.
const (
	stateAccepted  = "accepted"  // recorded; the debit may or may not have happened
	stateDeclined  = "declined"  // the balance did not cover it; nothing was charged
	stateBilled    = "billed"    // charged; not yet announced
	stateDelivered = "delivered" // charged and announced on its own
	stateQueued    = "queued"    // charged and waiting in the room's merge queue
	stateRefunded  = "refunded"  // IM did not take it; the coins went back
)

// giftOp is a gift's record in the room's ledger, "giftop/{room}/{op}".
type giftOp struct {
	State  string    `json:"state"`
	RoomID string    `json:"roomId"`
	UserID string    `json:"userId"`
	Gift   live.Gift `json:"gift"`
	Count  int64     `json:"count"`
	Coins  int64     `json:"coins"`
	Combo  int64     `json:"combo,omitempty"`
	// Balance is the sender's balance after the debit.
	Balance int64 `json:"balance,omitempty"`
	// Attempt numbers the debits: a refunded gift sent again is debited under a new wallet
	// operation.
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	// Queue is the pending entry that holds a queued gift in the room's merge queue.
	Queue string `json:"queue,omitempty"`
	// Owed are the additions to the room's totals that a failure left unmade, and Uncredited
	// reports that the gift XP is still to be queued: what counting a gift that reached the room
	// left undone (see count).
	Owed       roomstats.Deltas `json:"owed,omitempty"`
	Uncredited bool             `json:"uncredited,omitempty"`
}

// atRest reports whether the operation can move no more coins by itself: announced on its own,
// declined or refunded. A queued gift is at rest once its merged message is sent.
func (o giftOp) atRest() bool {
	return o.State == stateDelivered || o.State == stateDeclined || o.State == stateRefunded
}

// owing reports whether counting the gift was left unfinished.
func (o giftOp) owing() bool { return len(o.Owed) > 0 || o.Uncredited }

// charged reports whether the operation holds coins in the ledger.
func (o giftOp) charged() bool {
	return o.State == stateBilled || o.State == stateDelivered || o.State == stateQueued
}

func (o giftOp) sent() Sent {
	return Sent{GiftID: o.Gift.GiftID, Count: o.Count, Combo: o.Combo, Balance: o.Balance, Coins: o.Coins, Merged: o.State == stateQueued}
}

func ledgerDir(roomID string) string     { return "giftop/" + store.EscapeID(roomID) + "/" }
func ledgerKey(roomID, op string) string { return ledgerDir(roomID) + op }
func walletOp(op string, attempt int) string {
	return "gift:" + op + ":" + strconv.Itoa(attempt)
}

// Send bills a gift and announces it to the room. The room must be live (EConflict otherwise)
// and the gift in the catalog (ENotFound); the sender's balance must cover price × count
// (EInsufficientCoins, nothing changes). The gift is recorded in the room's ledger, counted in
// the room's totals, credited as gift XP through the activity queue (activity ID "gift:{op}"),
// and announced with SEND_GIFT from the sender at High priority; past the room's message budget
// it is announced merged with others. A repeat with the same key bills and shows it once; with
// another gift or count it fails with EIdempotencyReuse. When IM does not take the message the
// coins are refunded and the IM error returned; a repeat then bills it again.
//
// Store calls when uncontended: see the README's measured figures.
func (s *Service) Send(ctx context.Context, p SendParams) (Sent, error) {
	if err := live.CheckMemberID(p.UserID, s.cfg.Admin); err != nil {
		return Sent{}, live.InField("X-User-Id", err)
	}
	if err := live.ValidateGiftCount(p.Count); err != nil {
		return Sent{}, err
	}
	if err := live.ValidateGiftID(p.GiftID); err != nil {
		return Sent{}, err
	}
	if p.Key == "" {
		return Sent{}, live.Errorf(live.EInvalid, "An Idempotency-Key is required to send a gift.")
	}
	g, err := s.Gift(ctx, p.GiftID)
	if err != nil {
		return Sent{}, err
	}
	room, err := s.rooms.Room(ctx, p.RoomID)
	if err != nil {
		return Sent{}, err
	}
	if room.Status != live.StatusLive {
		return Sent{}, live.Errorf(live.EConflict, "Room %q is %s; gifts go only to a live room.", room.ID, room.Status)
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	op := opID("gift", p.UserID, p.RoomID, p.Key)
	rec := giftOp{State: stateAccepted, RoomID: p.RoomID, UserID: p.UserID, Gift: g, Count: p.Count, Coins: g.Price * p.Count, At: s.clock()}
	raw, created, err := s.recordOnce(ctx, ledgerKey(p.RoomID, op), mustJSON(rec), &rec)
	if err != nil {
		return Sent{}, err
	}
	if !created {
		if rec.UserID != p.UserID || rec.Gift.GiftID != p.GiftID || rec.Count != p.Count {
			return Sent{}, live.Errorf(live.EIdempotencyReuse, "This Idempotency-Key sent another gift; use a new key for a new gift.")
		}
	}
	if rec.State == stateDelivered || rec.State == stateQueued {
		return rec.sent(), nil
	}
	// The gift is listed as pending before any coin moves, so that Reconcile finds it when this
	// request stops halfway.
	mark, err := s.mark(ctx, p.RoomID, op)
	if err != nil {
		return Sent{}, err
	}
	sent, last, err := s.advance(ctx, op, rec, raw, mark)
	if last.atRest() && !last.owing() {
		s.unmark(ctx, mark)
	}
	s.maybeReconcile(ctx, p.RoomID)
	return sent, err
}

// advance takes a gift operation from the state it is in to its end, and returns the last state
// it found recorded. mark is the gift's entry in the pending index, which a merged gift keeps
// until it is announced.
func (s *Service) advance(ctx context.Context, op string, rec giftOp, raw []byte, mark string) (Sent, giftOp, error) {
	for range 5 {
		var next giftOp
		var err error
		switch rec.State {
		case stateDelivered, stateQueued:
			return rec.sent(), rec, nil
		case stateAccepted, stateDeclined, stateRefunded:
			next, err = s.bill(ctx, op, rec)
		case stateBilled:
			next, err = s.deliver(ctx, op, rec, mark)
		default:
			return Sent{}, rec, errors.New("gifts: unknown gift state " + rec.State)
		}
		if next.State == "" {
			return Sent{}, rec, err
		}
		b := mustJSON(next)
		rctx, cancel := recording(ctx)
		swapped, serr := s.kv.CompareAndSwap(rctx, ledgerKey(rec.RoomID, op), raw, b, 0)
		cancel()
		if serr != nil {
			return Sent{}, rec, serr
		}
		if !swapped {
			// A repeat of the same request moved the record on: follow it.
			var lerr error
			if rec, raw, lerr = s.loadOp(ctx, rec.RoomID, op); lerr != nil {
				return Sent{}, giftOp{}, lerr
			}
			if err != nil {
				return Sent{}, rec, err
			}
			continue
		}
		next, b = s.afterMove(ctx, op, rec, next, b)
		if err != nil {
			return Sent{}, next, err
		}
		if next.State == stateQueued {
			if err := s.enqueue(ctx, op, next); err != nil {
				// Listed as pending still: Reconcile queues it.
				return Sent{}, next, err
			}
		}
		rec, raw = next, b
	}
	return Sent{}, rec, live.Errorf(live.EConflict, "The gift is being sent by another request with the same Idempotency-Key; retry.")
}

// afterMove does what follows a recorded change of state, to as raw: the wallet operations the
// record now holds are settled, and a gift that reached the room is counted and credited. It
// returns the record as it then is.
func (s *Service) afterMove(ctx context.Context, op string, from, to giftOp, raw []byte) (giftOp, []byte) {
	switch {
	case to.State == stateBilled:
		s.settle(ctx, to.UserID, walletOp(op, to.Attempt))
	case to.State == stateRefunded:
		s.settle(ctx, to.UserID, walletOp(op, from.Attempt)+":refund")
	case to.State == stateDelivered || to.State == stateQueued:
		// The change of state is the claim: of concurrent requests, only the one that made it
		// counts the gift.
		return s.count(ctx, op, to, raw, roomstats.GiftDeltas(to.RoomID, to.UserID, to.Count, to.Coins), true)
	}
	return to, raw
}

// count adds deltas to the room's totals and, when credit is set, queues the gift's XP, for the
// gift rec whose record holds raw and which the caller claimed. What fails is recorded in the
// gift (Owed, Uncredited) and listed for Reconcile, which finishes it: so a gift is counted in
// the room's totals once, even when the store fails halfway. Only a process that dies between
// the claim and the record of what failed loses the count. It returns the record as it then is.
func (s *Service) count(ctx context.Context, op string, rec giftOp, raw []byte, deltas roomstats.Deltas, credit bool) (giftOp, []byte) {
	ctx, cancel := recording(ctx)
	defer cancel()
	owed, err := s.sales.Apply(ctx, deltas)
	if err != nil {
		s.log.Warn("gifts: room totals not updated yet", "room", rec.RoomID, "op", op, "err", err)
	}
	uncredited := false
	if credit {
		a := live.Activity{ID: "gift:" + op, RoomID: rec.RoomID, UserID: rec.UserID, Kind: live.KindGift, Amount: min(rec.Coins, maxActivityAmount), At: rec.At}
		// The level updater credits an activity ID once, so queueing it again is harmless.
		if err := s.activities.Publish(ctx, a); err != nil {
			s.log.Warn("gifts: gift XP not queued yet", "activity", a.ID, "err", err)
			uncredited = true
		}
	}
	if len(owed) == 0 && !uncredited {
		return rec, raw
	}
	roomID := rec.RoomID
	for range 5 {
		next := rec
		next.Owed = maps.Clone(rec.Owed)
		if next.Owed == nil {
			next.Owed = roomstats.Deltas{}
		}
		for k, d := range owed {
			next.Owed[k] += d
		}
		next.Uncredited = rec.Uncredited || uncredited
		b := mustJSON(next)
		swapped, err := s.kv.CompareAndSwap(ctx, ledgerKey(roomID, op), raw, b, 0)
		if err == nil && swapped {
			if err := s.kv.Put(ctx, owingKey(roomID, op, s.clock()), []byte{'1'}, 0); err != nil {
				s.log.Error("gifts: a gift's unfinished count not listed; Reconcile will not find it", "room", roomID, "op", op, "err", err)
			}
			return next, b
		}
		if err == nil {
			// Moved on meanwhile (a flush or Reconcile): read it again.
			var got giftOp
			var gotRaw []byte
			if got, gotRaw, err = s.loadOp(ctx, roomID, op); err == nil {
				rec, raw = got, gotRaw
				continue
			}
		}
		s.log.Error("gifts: a gift's unfinished count not recorded; the room totals miss it", "room", roomID, "op", op, "err", err)
		return rec, raw
	}
	s.log.Error("gifts: a gift's unfinished count not recorded; the room totals miss it", "room", roomID, "op", op)
	return rec, raw
}

// maxActivityAmount is the largest Amount an activity carries, the level rules' default bound.
const maxActivityAmount = 1_000_000

// bill debits the gift: it returns the record billed, or declined with EInsufficientCoins.
func (s *Service) bill(ctx context.Context, op string, rec giftOp) (giftOp, error) {
	next := rec
	if rec.State != stateAccepted {
		next.Attempt++
	}
	balance, _, err := s.apply(ctx, rec.UserID, walletOp(op, next.Attempt), -rec.Coins)
	if live.ErrorCode(err) == live.EInsufficientCoins {
		next.State = stateDeclined
		if rec.State == stateDeclined {
			return giftOp{}, err
		}
		return next, err
	}
	if err != nil {
		return giftOp{}, err
	}
	next.State, next.Balance = stateBilled, balance
	if next.Combo, err = s.combo(ctx, rec); err != nil {
		s.log.Warn("gifts: combo not counted", "err", err)
		next.Combo = 1
	}
	return next, nil
}

// deliver announces a billed gift on its own within the room's budget, and past it returns the
// record queued for a merged announcement, which advance makes once it is recorded. When IM does
// not take a gift, the coins are refunded and the record says so.
func (s *Service) deliver(ctx context.Context, op string, rec giftOp, mark string) (giftOp, error) {
	next := rec
	sec := s.clock().Unix()
	at, ok := s.slot(ctx, "giftrate#", rec.RoomID, sec, s.individual)
	if !ok {
		// Recorded as queued first, then queued (see advance): a flush never announces a gift
		// whose record does not say so.
		next.State, next.Queue = stateQueued, mark
		return next, nil
	}
	ext := mustJSON(sendGiftExt{GiftID: rec.Gift.GiftID, Name: rec.Gift.Name, Count: rec.Count, Combo: rec.Combo,
		Price: rec.Gift.Price, ImageURL: rec.Gift.ImageURL, AnimationURL: rec.Gift.AnimationURL, UserID: rec.UserID})
	err := s.waitUntil(ctx, at)
	if err == nil {
		var reply tim.SendGroupMsgReply
		reply, err = s.im.SendGroupMsg(ctx, tim.SendGroupMsgRequest{
			GroupID:     rec.RoomID,
			Random:      randomOf(op),
			FromAccount: rec.UserID,
			MsgPriority: tim.PriorityHigh,
			MsgBody:     []tim.MsgElem{tim.CustomElem(live.EventSendGift, string(ext))},
		})
		if err == nil && reply.MsgDropReason != "" {
			// IM took it but dropped it for the room's message rate: announce it merged.
			next.State, next.Queue = stateQueued, mark
			return next, nil
		}
		if err == nil {
			s.charge(ctx, "giftrate#", rec.RoomID, sec)
			next.State = stateDelivered
			return next, nil
		}
	}
	s.log.Warn("gifts: IM did not take a gift; refunding it", "room", rec.RoomID, "op", op, "err", err)
	balance, _, rerr := s.apply(ctx, rec.UserID, walletOp(op, rec.Attempt)+":refund", rec.Coins)
	if rerr != nil {
		// Still billed: a repeat or Reconcile delivers or refunds it.
		return giftOp{}, err
	}
	next.State, next.Balance = stateRefunded, balance
	return next, err
}

// sendGiftExt is the Ext of a SEND_GIFT for one gift.
type sendGiftExt struct {
	GiftID       string `json:"giftId"`
	Name         string `json:"name"`
	Count        int64  `json:"count"`
	Combo        int64  `json:"combo"`
	Price        int64  `json:"price"`
	ImageURL     string `json:"imageUrl,omitempty"`
	AnimationURL string `json:"animationUrl,omitempty"`
	// UserID is the sender, also the message's sender; merged gifts need it.
	UserID string `json:"userId"`
}

// errVanished is the error of a gift record that is not in the store.
var errVanished = errors.New("gifts: gift record vanished")

func (s *Service) loadOp(ctx context.Context, roomID, op string) (giftOp, []byte, error) {
	var rec giftOp
	raw, ok, err := s.load(ctx, ledgerKey(roomID, op), &rec)
	if err == nil && !ok {
		err = errVanished
	}
	return rec, raw, err
}

// comboState is what "combo#{room}#{user}#{gift}" holds.
type comboState struct {
	Combo int64 `json:"combo"`
	Last  int64 `json:"last"` // Unix milliseconds of the last send
}

// combo returns the gift's place in its sender's combo: 1, or one more than the last send of the
// same gift by the same viewer in the room when that was within the combo window.
func (s *Service) combo(ctx context.Context, rec giftOp) (int64, error) {
	key := "combo#" + store.EscapeID(rec.RoomID) + "#" + store.EscapeID(rec.UserID) + "#" + store.EscapeID(rec.Gift.GiftID)
	ttl := s.cfg.ComboWindow + time.Minute
	for range maxSwapAttempts {
		now := s.clock().UnixMilli()
		var c comboState
		raw, ok, err := s.load(ctx, key, &c)
		if err != nil {
			return 0, err
		}
		n := comboState{Combo: 1, Last: now}
		if ok && now-c.Last <= s.cfg.ComboWindow.Milliseconds() {
			n.Combo = c.Combo + 1
		}
		swapped, err := s.swap(ctx, key, raw, mustJSON(n), ttl)
		if err != nil {
			return 0, err
		}
		if swapped {
			return n.Combo, nil
		}
	}
	return 1, nil
}

// slot takes one of the room's limit messages of the second sec under the counter prefix. It
// reports whether there was one left and, if so, when its message may be sent: the k-th message
// of a second (counting from 0) k/limit seconds into it. A storm's messages are so spread over
// each second instead of leaving together at its start, and one that reaches IM a little late
// still falls in the second whose budget it took. A store failure takes no slot.
func (s *Service) slot(ctx context.Context, prefix, roomID string, sec, limit int64) (time.Time, bool) {
	n, err := msgbudget.Budget{Counters: s.kv, Prefix: prefix}.Take(ctx, roomID, sec)
	if err != nil {
		s.log.Warn("gifts: message budget not read", "err", err)
		return time.Time{}, false
	}
	if n > limit {
		return time.Time{}, false
	}
	return time.Unix(sec, 0).Add(time.Duration(n-1) * time.Second / time.Duration(limit)), true
}

// waitUntil waits until at by the service's clock, at most a second (on a clock that stands
// still in tests, exactly that), and fails only when ctx ends first.
func (s *Service) waitUntil(ctx context.Context, at time.Time) error {
	return backoff.Policy{}.Wait(ctx, min(at.Sub(s.clock()), time.Second))
}

// charge counts a message that took a slot of the second sec in the budget of the second its
// sending ended in too, when that is later: IM counts a message by its arrival, so one that
// arrived late narrows the second it arrived in. The service's clock stands for IM's, which only
// dates messages to the second.
func (s *Service) charge(ctx context.Context, prefix, roomID string, sec int64) {
	now := s.clock().Unix()
	if now <= sec {
		return
	}
	if _, err := (msgbudget.Budget{Counters: s.kv, Prefix: prefix}).Take(ctx, roomID, now); err != nil {
		s.log.Warn("gifts: a late message not counted in its second's budget", "err", err)
	}
}

// LedgerCoins returns the coins the room's ledger holds: the gifts billed in it, announced or
// not, and not refunded. Together with the wallets they are every coin ever topped up.
func (s *Service) LedgerCoins(ctx context.Context, roomID string) (coins, gifts int64, err error) {
	after := ""
	for {
		items, err := s.kv.Scan(ctx, ledgerDir(roomID), after, store.MaxScan)
		if err != nil {
			return 0, 0, err
		}
		for _, it := range items {
			var rec giftOp
			if it.Counter || json.Unmarshal(it.Value, &rec) != nil {
				continue
			}
			if rec.charged() {
				coins += rec.Coins
				gifts++
			}
		}
		if len(items) < store.MaxScan {
			return coins, gifts, nil
		}
		after = items[len(items)-1].Key
	}
}
