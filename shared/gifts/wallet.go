package gifts

import (
	"context"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/store"
)

// wallet is what "wallet#{user}" holds.
type wallet struct {
	Balance int64 `json:"balance"`
	// Pending holds the operations applied to the balance lately: a repeat finds them here and
	// is not applied again. An operation stays until its own record has recorded it (settle
	// marks it) and settleGrace has passed, longer than any request that read the record
	// before that may still take to reach the wallet.
	Pending map[string]pendingOp `json:"pending,omitempty"`
}

// pendingOp is an operation applied to a wallet.
type pendingOp struct {
	Delta   int64 `json:"d"`
	At      int64 `json:"t"` // Unix seconds
	Settled bool  `json:"s,omitempty"`
	// Void marks an operation Reconcile found never applied and closed: it may no longer be
	// applied, so that a request still under way cannot debit a gift recorded as declined.
	Void bool `json:"v,omitempty"`
}

// settleGrace is how long a settled operation stays in its wallet: far longer than detachedTimeout,
// which bounds the work of any request.
const settleGrace = 2 * time.Minute

func walletKey(userID string) string { return "wallet#" + store.EscapeID(userID) }

// Balance is a user's coin balance.
type Balance struct {
	UserID  string `json:"userId"`
	Balance int64  `json:"balance"`
}

// loadWallet returns the wallet of userID and its encoding (nil when there is none).
func (s *Service) loadWallet(ctx context.Context, userID string) (wallet, []byte, error) {
	var w wallet
	raw, _, err := s.load(ctx, walletKey(userID), &w)
	return w, raw, err
}

// maxSwapAttempts bounds the compare-and-swap attempts of one wallet change; under contention
// each attempt that loses means another change won.
const maxSwapAttempts = 200

// errBusy is the error of a wallet that kept changing.
var errBusy = live.Errorf(live.EConflict, "The wallet is changing too often; try again.")

// changeWallet reads the wallet of userID and lets change alter it, then writes it with a
// compare-and-swap, from the start again when another change came first. change reports whether
// there is anything to write; an error of change ends the change with nothing written. The write
// drops the operations settled more than settleGrace ago. It returns the wallet as it then is.
func (s *Service) changeWallet(ctx context.Context, userID string, change func(w *wallet) (bool, error)) (wallet, error) {
	for range maxSwapAttempts {
		w, raw, err := s.loadWallet(ctx, userID)
		if err != nil {
			return w, err
		}
		if w.Pending == nil {
			w.Pending = map[string]pendingOp{}
		}
		if write, err := change(&w); err != nil || !write {
			return w, err
		}
		now := s.clock().Unix()
		for k, v := range w.Pending {
			if v.Settled && now-v.At >= int64(settleGrace/time.Second) {
				delete(w.Pending, k)
			}
		}
		if len(w.Pending) == 0 {
			w.Pending = nil
		}
		swapped, err := s.swap(ctx, walletKey(userID), raw, mustJSON(w), 0)
		if err != nil || swapped {
			return w, err
		}
	}
	return wallet{}, errBusy
}

// apply adds delta to the wallet of userID once for the operation op, which stays pending in
// the wallet until settle. A negative delta the balance does not cover fails with
// EInsufficientCoins and changes nothing. It returns the balance after the operation; applied is
// false when op was already pending. It makes one Get and one CompareAndSwap when uncontended.
func (s *Service) apply(ctx context.Context, userID, op string, delta int64) (balance int64, applied bool, err error) {
	w, err := s.changeWallet(ctx, userID, func(w *wallet) (bool, error) {
		applied = false
		if p, ok := w.Pending[op]; ok {
			if p.Void {
				return false, errVoided
			}
			return false, nil
		}
		next := w.Balance + delta
		if next < 0 {
			return false, live.InsufficientCoins(w.Balance, -delta)
		}
		if next > live.MaxBalance {
			return false, live.Errorf(live.EUnprocessable, "The balance would exceed %d coins.", int64(live.MaxBalance))
		}
		w.Balance, applied = next, true
		w.Pending[op] = pendingOp{Delta: delta, At: s.clock().Unix()}
		return true, nil
	})
	return w.Balance, applied && err == nil, err
}

// pendingIn reports whether op was applied to the wallet of userID (and not voided), and the
// balance.
func (s *Service) pendingIn(ctx context.Context, userID, op string) (bool, int64, error) {
	w, _, err := s.loadWallet(ctx, userID)
	if err != nil {
		return false, 0, err
	}
	p, ok := w.Pending[op]
	return ok && !p.Void, w.Balance, nil
}

// errVoided is the error of a debit that Reconcile closed as never applied.
var errVoided = live.Errorf(live.EConflict, "The gift was closed unpaid while this request was under way; send it again.")

// claim settles whether op was applied to the wallet of userID, for Reconcile: when it was, it
// reports true and the balance; when it was not, it records op as void, so that it can no longer
// be applied, and reports false.
func (s *Service) claim(ctx context.Context, userID, op string) (applied bool, balance int64, err error) {
	w, err := s.changeWallet(ctx, userID, func(w *wallet) (bool, error) {
		p, ok := w.Pending[op]
		applied = ok && !p.Void
		if ok {
			return false, nil
		}
		w.Pending[op] = pendingOp{At: s.clock().Unix(), Settled: true, Void: true}
		return true, nil
	})
	return applied, w.Balance, err
}

// settle marks op settled in the wallet once its own record holds it, so that a later change
// drops it after settleGrace. A failure is logged: an unsettled entry only costs space.
func (s *Service) settle(ctx context.Context, userID, op string) {
	_, err := s.changeWallet(ctx, userID, func(w *wallet) (bool, error) {
		p, ok := w.Pending[op]
		if !ok || p.Settled {
			return false, nil
		}
		p.Settled = true
		w.Pending[op] = p
		return true, nil
	})
	if err != nil {
		s.log.Warn("gifts: settling a wallet failed", "err", err)
	}
}

// Balance returns the coin balance of userID (0 for a user who never had coins).
//
// Store calls: one.
func (s *Service) Balance(ctx context.Context, userID string) (Balance, error) {
	if err := live.CheckMemberID(userID, s.cfg.Admin); err != nil {
		return Balance{}, live.InField("userId", err)
	}
	w, _, err := s.loadWallet(ctx, userID)
	if err != nil {
		return Balance{}, err
	}
	return Balance{UserID: userID, Balance: w.Balance}, nil
}

// topUp is what "topup#{user}#{op}" holds.
type topUp struct {
	Amount  int64     `json:"amount"`
	Done    bool      `json:"done"`
	Balance int64     `json:"balance"`
	At      time.Time `json:"at"`
}

// TopUp adds amount coins to the wallet of userID, once for key (the caller's Idempotency-Key,
// which names the top-up): a repeat returns the balance after the first and adds nothing; the
// same key with another amount fails with EIdempotencyReuse.
//
// Store calls: four when uncontended (record, wallet read and swap, record done; one more to
// settle).
func (s *Service) TopUp(ctx context.Context, userID, key string, amount int64) (Balance, error) {
	if err := live.CheckMemberID(userID, s.cfg.Admin); err != nil {
		return Balance{}, live.InField("userId", err)
	}
	if err := live.ValidateTopUp(amount); err != nil {
		return Balance{}, err
	}
	if key == "" {
		return Balance{}, live.Errorf(live.EInvalid, "An Idempotency-Key is required to top up coins.")
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	op := "topup:" + opID("topup", userID, key)
	recKey := "topup#" + store.EscapeID(userID) + "#" + op
	rec := topUp{Amount: amount, At: s.clock()}
	raw, created, err := s.recordOnce(ctx, recKey, mustJSON(rec), &rec)
	if err != nil {
		return Balance{}, err
	}
	if !created {
		if rec.Amount != amount {
			return Balance{}, live.Errorf(live.EIdempotencyReuse, "This Idempotency-Key topped up %d coins; use a new key for a new top-up.", rec.Amount)
		}
		if rec.Done {
			return Balance{UserID: userID, Balance: rec.Balance}, nil
		}
	}
	balance, _, err := s.apply(ctx, userID, op, amount)
	if err != nil {
		return Balance{}, err
	}
	rec.Done, rec.Balance = true, balance
	if _, err := s.kv.CompareAndSwap(ctx, recKey, raw, mustJSON(rec), 0); err != nil {
		return Balance{}, err
	}
	s.settle(ctx, userID, op)
	return Balance{UserID: userID, Balance: balance}, nil
}
