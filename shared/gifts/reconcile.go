package gifts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uriba-live/uriba/shared/store"
)

// The pending index: "giftpending/{room}/{t}.{op}" lists a gift that may still move coins, t the
// Unix second (12 digits) its request began. A request writes the entry before any coin moves and
// removes it once the gift is at rest (announced, declined or refunded; a merged gift once its
// merged message is sent). So the entries that outlive their request by far are exactly the gifts
// a crash or a cut-off request left halfway, and they come first in the room's listing.

func pendingDir(roomID string) string { return "giftpending/" + store.EscapeID(roomID) + "/" }

func pendingKey(roomID, op string, at time.Time) string {
	return pendingDir(roomID) + fmt.Sprintf("%012d", at.Unix()) + "." + op
}

// owingKey names the entry that lists a gift whose count was left unfinished at t (see count):
// "giftpending/{room}/{t}.{op}.owed", finished by Reconcile like a pending gift.
func owingKey(roomID, op string, at time.Time) string { return pendingKey(roomID, op, at) + owedSuffix }

const owedSuffix = ".owed"

// mark lists the gift op of the room as pending and returns its entry.
func (s *Service) mark(ctx context.Context, roomID, op string) (string, error) {
	k := pendingKey(roomID, op, s.clock())
	return k, s.kv.Put(ctx, k, pendingValue, 0)
}

// unmark removes a pending entry. A failure is logged: Reconcile removes a stale entry of a gift
// at rest.
func (s *Service) unmark(ctx context.Context, mark string) {
	if mark == "" {
		return
	}
	if _, err := s.kv.Delete(ctx, mark); err != nil {
		s.log.Warn("gifts: pending entry not removed", "err", err)
	}
}

// Defaults of Config's reconciliation.
const (
	// DefaultReconcileAfter is how long a gift's request must have been gone before Reconcile
	// finishes the gift: far longer than detachedTimeout, which bounds any request.
	DefaultReconcileAfter = time.Minute
	// ReconcileBatch bounds the gifts one Reconcile call finishes.
	ReconcileBatch = 20
)

// Reconciled is what Reconcile did.
type Reconciled struct {
	// Delivered counts the gifts announced on their own, Merged those queued for a merged
	// announcement, Refunded those refunded, Declined those found not charged, Settled the
	// entries of gifts that were already at rest.
	Delivered, Merged, Refunded, Declined, Settled int
	// Waiting counts the gifts found waiting in the merge queue, which the call flushes, and
	// Announced the queued gifts that flush announced.
	Waiting, Announced int
	// Failed counts the gifts left for a later call; More reports that the batch was full.
	Failed int
	More   bool
}

// Reconcile finishes at most ReconcileBatch gifts of the room that a crashed or cut-off request
// left halfway and whose request began more than olderThan ago: a gift whose debit reached the
// wallet is billed and announced (or refunded when IM does not take it); a gift whose debit did
// not reach the wallet is declined, and that debit can no longer happen; a merged gift is
// announced with the room's merge queue. Nothing charged is ever lost: the coins end up either
// in the ledger with the gift announced, or back in the wallet. Repeated and concurrent calls,
// and a viewer repeating the request meanwhile, are safe.
//
// Store calls: one listing, and a few calls per gift it finishes.
func (s *Service) Reconcile(ctx context.Context, roomID string, olderThan time.Duration) (Reconciled, error) {
	var out Reconciled
	dir := pendingDir(roomID)
	items, err := s.kv.Scan(ctx, dir, "", ReconcileBatch+1)
	if err != nil {
		return out, err
	}
	cutoff := s.clock().Add(-olderThan).Unix()
	flush := false
	for i, it := range items {
		name := strings.TrimPrefix(it.Key, dir)
		at, op, ok := strings.Cut(name, ".")
		op, owed := strings.CutSuffix(op, owedSuffix)
		sec, perr := strconv.ParseInt(at, 10, 64)
		if !ok || perr != nil || it.Counter {
			continue
		}
		if sec > cutoff {
			break
		}
		if i == ReconcileBatch {
			out.More = true
			break
		}
		finish := s.finish
		if owed {
			finish = s.finishCount
		}
		switch state, err := finish(ctx, roomID, op, it.Key, it.Value); {
		case err != nil:
			out.Failed++
			s.log.Warn("gifts: a pending gift not finished yet", "room", roomID, "op", op, "err", err)
		case state == stateDelivered:
			out.Delivered++
		case state == stateQueued:
			out.Merged++
			flush = true
		case state == waiting:
			out.Waiting++
			flush = true
		case state == stateRefunded:
			out.Refunded++
		case state == stateDeclined:
			out.Declined++
		default:
			out.Settled++
		}
	}
	if flush {
		n, err := s.Flush(ctx, roomID)
		out.Announced += n
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// finishCount finishes counting a gift whose count was left unfinished (see count), and removes
// its entry mark once it is counted. It returns "", as for a gift at rest: the gift itself was
// announced.
func (s *Service) finishCount(ctx context.Context, roomID, op, mark string, _ []byte) (string, error) {
	rec, raw, err := s.loadOp(ctx, roomID, op)
	if err == errVanished {
		s.unmark(ctx, mark)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return s.finishCounting(ctx, roomID, op, rec, raw, mark)
}

// finishCounting counts what the gift rec, whose record holds raw, still owes, and removes mark
// once nothing is.
func (s *Service) finishCounting(ctx context.Context, roomID, op string, rec giftOp, raw []byte, mark string) (string, error) {
	if rec.owing() {
		// Claim what is owed, so that no concurrent call counts it too, then count it.
		claimed := rec
		claimed.Owed, claimed.Uncredited = nil, false
		b := mustJSON(claimed)
		swapped, err := s.kv.CompareAndSwap(ctx, ledgerKey(roomID, op), raw, b, 0)
		if err != nil {
			return "", err
		}
		if !swapped {
			return "", errMovedOn
		}
		if rec, _ = s.count(ctx, op, claimed, b, rec.Owed, rec.Uncredited); rec.owing() {
			return "", errors.New("gifts: the gift's count is still unfinished")
		}
	}
	s.unmark(ctx, mark)
	return "", nil
}

// errMovedOn is the error of a gift record changed by another call meanwhile: a later call looks
// again.
var errMovedOn = errors.New("gifts: the gift's record changed meanwhile")

// waiting is what finish returns for a gift waiting in the merge queue.
const waiting = "waiting"

// finish takes one pending gift to rest and removes its entry mark, which holds value, when it got
// there. It returns the state it brought the gift to, or "" for a gift found at rest.
func (s *Service) finish(ctx context.Context, roomID, op, mark string, value []byte) (string, error) {
	rec, raw, err := s.loadOp(ctx, roomID, op)
	if err != nil {
		if err == errVanished {
			s.unmark(ctx, mark)
			return "", nil
		}
		return "", err
	}
	switch rec.State {
	case stateDelivered:
		return s.finishCounting(ctx, roomID, op, rec, raw, mark)
	case stateQueued:
		if mark != rec.Queue {
			// An entry of an earlier request for the gift: the gift waits in its own.
			s.unmark(ctx, mark)
			return "", nil
		}
		if !bytes.Equal(value, pendingValue) {
			return waiting, nil // in the queue: a flush announces it and removes the entry
		}
		// Recorded as queued but not queued: its request stopped in between.
		if err := s.enqueue(ctx, op, rec); err != nil {
			return "", err
		}
		return stateQueued, nil
	case stateAccepted, stateDeclined, stateRefunded:
		// Was the debit of the attempt under way applied? A declined or refunded gift is debited
		// again under the next attempt.
		attempt := rec.Attempt
		if rec.State != stateAccepted {
			attempt++
		}
		// An accepted gift is about to be declined: its debit is claimed, so that it cannot
		// happen afterwards. A declined or refunded gift is at rest; only a debit of its next
		// attempt already applied needs finishing, and a repeat under way finishes it itself.
		claim := s.claim
		if rec.State != stateAccepted {
			claim = s.pendingIn
		}
		applied, balance, err := claim(ctx, rec.UserID, walletOp(op, attempt))
		if err != nil {
			return "", err
		}
		if !applied {
			if rec.State == stateAccepted {
				next := rec
				next.State = stateDeclined
				if swapped, err := s.kv.CompareAndSwap(ctx, ledgerKey(roomID, op), raw, mustJSON(next), 0); err != nil || !swapped {
					return "", err // moved on meanwhile: the next call looks again
				}
				s.unmark(ctx, mark)
				return stateDeclined, nil
			}
			s.unmark(ctx, mark)
			return "", nil
		}
		next := rec
		next.State, next.Attempt, next.Balance, next.Combo = stateBilled, attempt, balance, max(rec.Combo, 1)
		b := mustJSON(next)
		if swapped, err := s.kv.CompareAndSwap(ctx, ledgerKey(roomID, op), raw, b, 0); err != nil || !swapped {
			return "", err
		}
		rec, raw = s.afterMove(ctx, op, rec, next, b)
	case stateBilled:
	default:
		return "", fmt.Errorf("gifts: unknown gift state %s", rec.State)
	}
	_, last, err := s.advance(ctx, op, rec, raw, mark)
	if last.atRest() && !last.owing() {
		s.unmark(ctx, mark)
	}
	if err != nil && !last.atRest() {
		return "", err
	}
	return last.State, nil
}

// reconcileEvery is how often one process reconciles a room on a gift request.
const reconcileEvery = time.Minute

// reconciler remembers when this process last reconciled each room.
type reconciler struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// maybeReconcile reconciles the room when this process has not done so for reconcileEvery. A
// gift request is the trigger: it runs wherever gifts run (a Lambda or SCF instance included),
// and costs one listing of the room's pending gifts a minute per process.
func (s *Service) maybeReconcile(ctx context.Context, roomID string) {
	if s.cfg.ReconcileAfter < 0 {
		return
	}
	now := s.clock()
	s.rec.mu.Lock()
	if last, ok := s.rec.last[roomID]; ok && now.Sub(last) < reconcileEvery {
		s.rec.mu.Unlock()
		return
	}
	if s.rec.last == nil || len(s.rec.last) > 10000 {
		s.rec.last = map[string]time.Time{}
	}
	s.rec.last[roomID] = now
	s.rec.mu.Unlock()
	rep, err := s.Reconcile(ctx, roomID, s.cfg.ReconcileAfter)
	if err != nil {
		s.log.Warn("gifts: reconciling the room failed", "room", roomID, "err", err)
		return
	}
	if n := rep.Delivered + rep.Merged + rep.Refunded + rep.Declined; n > 0 || rep.Failed > 0 {
		s.log.Info("gifts: finished gifts left halfway", "room", roomID, "delivered", rep.Delivered, "merged", rep.Merged,
			"refunded", rep.Refunded, "declined", rep.Declined, "failed", rep.Failed, "more", rep.More)
	}
}
