package httpapi

import (
	"net/http"
	"net/url"

	"github.com/uriba-live/uriba/shared/gifts"
	"github.com/uriba-live/uriba/shared/live"
)

// Gifts holds what the gift, coin and purchase endpoints need.
type Gifts struct {
	Service     *gifts.Service
	Merchants   MerchantKeys
	Viewers     Viewers
	Idempotency Idempotency
}

// Register adds the gift, coin and purchase endpoints to rt.
//
//	POST /v1/gifts                          (merchant) add a gift to the catalog; NEW_GIFT to live rooms (201)
//	GET  /v1/gifts                          (anyone) the catalog
//	POST /v1/users/{userId}/coins           (merchant, Idempotency-Key required) {amount}: top up
//	GET  /v1/users/{userId}/coins           (merchant, or the viewer themself) the balance
//	POST /v1/rooms/{roomId}/gifts           (viewer, Idempotency-Key required) {giftId, count}: send a gift
//	GET  /v1/rooms/{roomId}/leaderboard     (merchant) top gifters
//	POST /v1/rooms/{roomId}/purchases       (merchant) a paid order; idempotent on orderId
func (h Gifts) Register(rt *Router) {
	merchant, viewer, once := h.Merchants.Require, h.Viewers.Require, h.Idempotency.Wrap
	rt.Handle("POST /v1/gifts", merchant(once(h.create)))
	rt.Handle("GET /v1/gifts", h.list)
	rt.Handle("POST /v1/users/{userId}/coins", merchant(requireKey(once(h.topUp))))
	rt.Handle("GET /v1/users/{userId}/coins", h.balanceAuth(h.balance))
	rt.Handle("POST /v1/rooms/{roomId}/gifts", viewer(requireKey(once(h.send))))
	rt.Handle("GET /v1/rooms/{roomId}/leaderboard", merchant(h.leaderboard))
	rt.Handle("POST /v1/rooms/{roomId}/purchases", merchant(once(h.purchase)))
}

// requireKey refuses a request without an Idempotency-Key.
func requireKey(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get(IdempotencyKeyHeader) == "" {
			return live.Errorf(live.EInvalid, "This call moves coins: send an Idempotency-Key header (any unique string of up to %d printable ASCII bytes).", MaxIdempotencyKeyBytes)
		}
		return h(w, r)
	}
}

// balanceAuth lets a merchant read any balance and a viewer only their own.
func (h Gifts) balanceAuth(next HandlerFunc) HandlerFunc {
	return merchantOrViewer(h.Merchants, h.Viewers, func(w http.ResponseWriter, r *http.Request) error {
		if c, _ := CallerFrom(r.Context()); c.Role == RoleViewer && c.UserID != r.PathValue("userId") {
			return live.Errorf(live.EForbidden, "A viewer may read only their own balance.")
		}
		return next(w, r)
	})
}

// SendGiftRequest is the body of POST /v1/rooms/{roomId}/gifts.
type SendGiftRequest struct {
	GiftID string `json:"giftId"`
	Count  *int64 `json:"count"`
}

// Validate checks the gift ID and the count (1 when absent).
func (s SendGiftRequest) Validate() error {
	if err := live.ValidateGiftID(s.GiftID); err != nil {
		return err
	}
	if s.Count != nil {
		return live.ValidateGiftCount(*s.Count)
	}
	return nil
}

// TopUpRequest is the body of POST /v1/users/{userId}/coins.
type TopUpRequest struct {
	Amount int64 `json:"amount"`
}

// Validate checks the amount.
func (t TopUpRequest) Validate() error { return live.ValidateTopUp(t.Amount) }

func (h Gifts) create(w http.ResponseWriter, r *http.Request) error {
	var g live.Gift
	if err := DecodeJSON(r, &g, false); err != nil {
		return err
	}
	c, err := h.Service.CreateGift(r.Context(), g)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/gifts/"+url.PathEscape(g.GiftID))
	return WriteJSON(w, http.StatusCreated, c)
}

func (h Gifts) list(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Service.Gifts(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, c)
}

func (h Gifts) topUp(w http.ResponseWriter, r *http.Request) error {
	var req TopUpRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	b, err := h.Service.TopUp(r.Context(), r.PathValue("userId"), r.Header.Get(IdempotencyKeyHeader), req.Amount)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, b)
}

func (h Gifts) balance(w http.ResponseWriter, r *http.Request) error {
	b, err := h.Service.Balance(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, b)
}

func (h Gifts) send(w http.ResponseWriter, r *http.Request) error {
	var req SendGiftRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	count := int64(1)
	if req.Count != nil {
		count = *req.Count
	}
	sent, err := h.Service.Send(r.Context(), gifts.SendParams{
		RoomID: r.PathValue("roomId"), UserID: ViewerID(r.Context()), GiftID: req.GiftID, Count: count,
		Key: r.Header.Get(IdempotencyKeyHeader),
	})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, sent)
}

// Leaderboard is the answer of GET /v1/rooms/{roomId}/leaderboard.
type Leaderboard struct {
	RoomID  string         `json:"roomId"`
	Gifters []gifts.Gifter `json:"gifters"`
}

func (h Gifts) leaderboard(w http.ResponseWriter, r *http.Request) error {
	roomID := r.PathValue("roomId")
	l, err := h.Service.Leaderboard(r.Context(), roomID)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, Leaderboard{RoomID: roomID, Gifters: l})
}

func (h Gifts) purchase(w http.ResponseWriter, r *http.Request) error {
	var p live.Purchase
	if err := DecodeJSON(r, &p, false); err != nil {
		return err
	}
	rec, err := h.Service.Purchase(r.Context(), r.PathValue("roomId"), p)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, rec)
}
