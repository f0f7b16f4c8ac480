package gifts

import (
	"context"
	"encoding/json"
	"fmt"
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
	raw, ok, err := s.kv.Get(ctx, walletKey(userID))
	if err != nil || !ok {
		return wallet{}, nil, err
	}
	var w wallet
	if err := json.Unmarshal(raw, &w); err != nil {
		return wallet{}, nil, err
	}
	return w, raw, nil
}

// swapWallet replaces the encoding old (nil: no wallet yet) with w.
func (s *Service) swapWallet(ctx context.Context, userID string, old []byte, w wallet) (bool, []byte, error) {
	if len(w.Pending) == 0 {
		w.Pending = nil
	}
	raw, err := json.Marshal(w)
	if err != nil {
		return false, nil, err
	}
	var ok bool
	if old == nil {
		ok, err = s.kv.PutIfAbsent(ctx, walletKey(userID), raw, 0)
	} else {
		ok, err = s.kv.CompareAndSwap(ctx, walletKey(userID), old, raw, 0)
	}
	return ok, raw, err
}

// maxSwapAttempts bounds the compare-and-swap attempts of one wallet change; under contention
// each attempt that loses means another change won.
const maxSwapAttempts = 200

// errBusy is the error of a wallet that kept changing.
var errBusy = live.Errorf(live.EConflict, "The wallet is changing too often; try again.")

// apply adds delta to the wallet of userID once for the operation op, which stays pending in
// the wallet until settle. A negative delta the balance does not cover fails with
// EInsufficientCoins and changes nothing. It returns the balance after the operation; applied is
// false when op was already pending. It makes one Get and one CompareAndSwap when uncontended.
func (s *Service) apply(ctx context.Context, userID, op string, delta int64) (balance int64, applied bool, err error) {
	for range maxSwapAttempts {
		w, raw, err := s.loadWallet(ctx, userID)
		if err != nil {
			return 0, false, err
		}
		if p, ok := w.Pending[op]; ok {
			if p.Void {
				return w.Balance, false, errVoided
			}
			return w.Balance, false, nil
		}
		next := w.Balance + delta
		if next < 0 {
			return w.Balance, false, live.InsufficientCoins(w.Balance, -delta)
		}
		if next > live.MaxBalance {
			return w.Balance, false, live.Errorf(live.EUnprocessable, "The balance would exceed %d coins.", int64(live.MaxBalance))
		}
		now := s.clock().Unix()
		nw := wallet{Balance: next, Pending: map[string]pendingOp{op: {Delta: delta, At: now}}}
		for k, v := range w.Pending {
			if !v.Settled || now-v.At < int64(settleGrace/time.Second) {
				nw.Pending[k] = v
			}
		}
		ok, _, err := s.swapWallet(ctx, userID, raw, nw)
		if err != nil {
			return 0, false, err
		}
		if ok {
			return next, true, nil
		}
	}
	return 0, false, errBusy
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
	for range maxSwapAttempts {
		w, raw, err := s.loadWallet(ctx, userID)
		if err != nil {
			return false, 0, err
		}
		if p, ok := w.Pending[op]; ok {
			return !p.Void, w.Balance, nil
		}
		if w.Pending == nil {
			w.Pending = map[string]pendingOp{}
		}
		w.Pending[op] = pendingOp{At: s.clock().Unix(), Settled: true, Void: true}
		ok, _, err := s.swapWallet(ctx, userID, raw, w)
		if err != nil {
			return false, 0, err
		}
		if ok {
			return false, w.Balance, nil
		}
	}
	return false, 0, errBusy
}

// settle marks op settled in the wallet once its own record holds it, so that a later change
// drops it after settleGrace. A failure is logged: an unsettled entry only costs space.
func (s *Service) settle(ctx context.Context, userID, op string) {
	for range maxSwapAttempts {
		w, raw, err := s.loadWallet(ctx, userID)
		if err != nil {
			s.log.Warn("gifts: settling a wallet failed", "err", err)
			return
		}
		p, ok := w.Pending[op]
		if !ok || p.Settled {
			return
		}
		p.Settled = true
		w.Pending[op] = p
		swapped, _, err := s.swapWallet(ctx, userID, raw, w)
		if err != nil {
			s.log.Warn("gifts: settling a wallet failed", "err", err)
			return
		}
		if swapped {
			return
		}
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
	raw, _ := json.Marshal(rec)
	raw, created, err := s.recordOnce(ctx, recKey, raw, &rec)
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
	done, _ := json.Marshal(rec)
	if _, err := s.kv.CompareAndSwap(ctx, recKey, raw, done, 0); err != nil {
		return Balance{}, err
	}
	s.settle(ctx, userID, op)
	return Balance{UserID: userID, Balance: balance}, nil
}

// recordOnce stores raw under key unless the key holds a record already, which it then returns
// decoded into into, so that a repeated operation finds what its first call recorded. It reports
// the record's value and whether it was created now.
func (s *Service) recordOnce(ctx context.Context, key string, raw []byte, into any) ([]byte, bool, error) {
	created, err := s.kv.PutIfAbsent(ctx, key, raw, 0)
	if err != nil || created {
		return raw, created, err
	}
	got, ok, err := s.kv.Get(ctx, key)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, fmt.Errorf("gifts: record %s vanished", key)
	}
	if err := json.Unmarshal(got, into); err != nil {
		return nil, false, err
	}
	return got, false, nil
}
