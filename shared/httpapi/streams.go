package httpapi

import (
	"net/http"

	"github.com/uriba-live/uriba/shared/streams"
)

// Streams holds what the stream endpoints need.
type Streams struct {
	Service     *streams.Service
	Merchants   MerchantKeys
	Viewers     Viewers
	Idempotency Idempotency
}

// Register adds the stream endpoints to rt:
//
//	POST /v1/rooms/{roomId}/push-url   a merchant or the room's anchor: push and play URLs
//	GET  /v1/rooms/{roomId}/play-url   a merchant or any viewer: play URLs
//	POST /v1/callbacks/stream          the streaming service's callbacks (signed with its key)
func (h Streams) Register(rt *Router) {
	rt.Handle("POST /v1/rooms/{roomId}/push-url", merchantOrViewer(h.Merchants, h.Viewers, h.Idempotency.Wrap(h.push)))
	rt.Handle("GET /v1/rooms/{roomId}/play-url", merchantOrViewer(h.Merchants, h.Viewers, h.play))
	rt.Handle("POST /v1/callbacks/stream", h.callback)
}

func (h Streams) push(w http.ResponseWriter, r *http.Request) error {
	var empty struct{}
	if err := DecodeJSON(r, &empty, true); err != nil {
		return err
	}
	c, _ := CallerFrom(r.Context())
	urls, err := h.Service.Push(r.Context(), r.PathValue("roomId"), streams.Who{Merchant: c.Role == RoleMerchant, UserID: c.UserID})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, urls)
}

func (h Streams) play(w http.ResponseWriter, r *http.Request) error {
	urls, err := h.Service.Play(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, urls)
}

// callback answers Tencent's stream callbacks: {"code":0} with HTTP 200 when the callback is
// applied or deliberately ignored, a problem document otherwise (Tencent then repeats it).
func (h Streams) callback(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	outcome, err := h.Service.Callback(r.Context(), body)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, map[string]any{"code": 0, "outcome": outcome})
}
