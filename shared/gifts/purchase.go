package gifts

import (
	"context"
	"errors"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

// Purchase states.
const (
	purchaseRecorded  = "recorded"  // stored; not yet counted
	purchaseCounted   = "counted"   // in the room's totals; not yet announced or credited
	purchaseAnnounced = "announced" // done
)

// purchaseRecord is what "purchase#{orderId}" holds.
type purchaseRecord struct {
	State    string        `json:"state"`
	RoomID   string        `json:"roomId"`
	Purchase live.Purchase `json:"purchase"`
	At       time.Time     `json:"at"`
	// Owed are the additions to the room's totals that a failure left unmade; a repeat of the
	// report makes them.
	Owed roomstats.Deltas `json:"owed,omitempty"`
}

// Recorded is the answer of Purchase.
type Recorded struct {
	RoomID string `json:"roomId"`
	live.Purchase
	// Announced reports whether BUY_GOODS reached the room (a room that is not live gets none).
	Announced bool `json:"announced"`
}

// buyGoodsExt is the Ext of the BUY_GOODS the server sends for a purchase: what was bought, never
// what it cost.
type buyGoodsExt struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Quantity  int64  `json:"quantity"`
	UserID    string `json:"userId"`
}

// Purchase records a paid order the shop reports for a room, once per orderId: a repeat changes
// nothing and answers the same; the same orderId with other content fails with EConflict. It
// counts the order in the room's orders, units and revenue, credits purchase XP (activity ID
// "purchase:{orderId}") and, while the room is live or paused, announces BUY_GOODS from the
// buyer with the product's name and the quantity.
//
// Store calls when uncontended: see the README's measured figures.
func (s *Service) Purchase(ctx context.Context, roomID string, p live.Purchase) (Recorded, error) {
	if err := p.Validate(s.cfg.Admin); err != nil {
		return Recorded{}, err
	}
	room, err := s.rooms.Room(ctx, roomID)
	if err != nil {
		return Recorded{}, err
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	key := "purchase#" + store.EscapeID(p.OrderID)
	rec := purchaseRecord{State: purchaseRecorded, RoomID: roomID, Purchase: p, At: s.clock()}
	raw := mustJSON(rec)
	raw, created, err := s.recordOnce(ctx, key, raw, &rec)
	if err != nil {
		return Recorded{}, err
	}
	if !created {
		if rec.RoomID != roomID || rec.Purchase != p {
			return Recorded{}, live.Errorf(live.EConflict, "Order %q was reported with other content.", p.OrderID)
		}
	}
	announced := false
	for rec.State != purchaseAnnounced {
		next := rec
		var owed roomstats.Deltas
		switch {
		case rec.State == purchaseRecorded:
			// The move to counted claims the count: of concurrent repeats, only the one that
			// made it counts the order.
			next.State, owed = purchaseCounted, roomstats.PurchaseDeltas(roomID, p.ProductID, p.Currency, p.Quantity, p.Amount.TenThousandths())
		case rec.State == purchaseCounted && len(rec.Owed) > 0:
			// A failure left part of the count unmade: claim it, then make it.
			next.Owed, owed = nil, rec.Owed
		case rec.State == purchaseCounted:
			a := live.Activity{ID: "purchase:" + p.OrderID, RoomID: roomID, UserID: p.UserID, Kind: live.KindPurchase, Amount: 1, At: rec.At}
			if err := s.activities.Publish(ctx, a); err != nil {
				return Recorded{}, err
			}
			if room.Status == live.StatusLive || room.Status == live.StatusPaused {
				if err := s.buyGoods(ctx, room, p); err != nil {
					return Recorded{}, err
				}
				announced = true
			}
			next.State = purchaseAnnounced
		default:
			return Recorded{}, errors.New("gifts: unknown purchase state " + rec.State)
		}
		b := mustJSON(next)
		swapped, err := s.kv.CompareAndSwap(ctx, key, raw, b, 0)
		if err != nil {
			return Recorded{}, err
		}
		if !swapped {
			// A repeat moved it on: follow it.
			var ok bool
			if raw, ok, err = s.load(ctx, key, &rec); err != nil || !ok {
				return Recorded{}, errors.Join(err, errors.New("gifts: purchase record vanished"))
			}
			continue
		}
		rec, raw = next, b
		if len(owed) == 0 {
			continue
		}
		left, err := s.sales.Apply(ctx, owed)
		if err == nil {
			continue
		}
		// Record what is left, for the order system's repeat to make.
		next.Owed = left
		if swapped, serr := s.kv.CompareAndSwap(ctx, key, raw, mustJSON(next), 0); serr != nil || !swapped {
			s.log.Error("gifts: an order's unfinished count not recorded; the room totals miss it", "order", p.OrderID, "err", serr)
		}
		return Recorded{}, err
	}
	return Recorded{RoomID: roomID, Purchase: p, Announced: announced || room.Status == live.StatusLive || room.Status == live.StatusPaused}, nil
}

// buyGoods announces a purchase with BUY_GOODS from the buyer; the Random comes from the order,
// so IM shows a repeat once.
func (s *Service) buyGoods(ctx context.Context, room live.Room, p live.Purchase) error {
	name := p.ProductName
	if name == "" {
		name = p.ProductID
		if v, err := s.rooms.Get(ctx, room.ID); err == nil {
			for i := len(v.Products) - 1; i >= 0; i-- {
				if v.Products[i].Product.ProductID == p.ProductID {
					name = v.Products[i].Product.Name
					break
				}
			}
		}
	}
	// The buyer may never have logged in to IM: the message must come from a known account.
	if err := s.im.AccountImport(ctx, tim.AccountImportRequest{UserID: p.UserID}); err != nil {
		return err
	}
	ext := mustJSON(buyGoodsExt{ProductID: p.ProductID, Name: name, Quantity: p.Quantity, UserID: p.UserID})
	_, err := s.im.SendGroupMsg(ctx, tim.SendGroupMsgRequest{
		GroupID:     room.ID,
		Random:      randomOf("purchase\x00" + p.OrderID),
		FromAccount: p.UserID,
		MsgPriority: tim.PriorityNormal,
		MsgBody:     []tim.MsgElem{tim.CustomElem(live.EventBuyGoods, string(ext))},
	})
	return err
}
