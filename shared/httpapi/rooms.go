package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
)

// Rooms holds what the room endpoints need.
type Rooms struct {
	Service     *rooms.Service
	Merchants   MerchantKeys
	Idempotency Idempotency
	// Ender, when set, ends rooms asked to become ended, dropping their stream too.
	Ender interface {
		EndRoom(ctx context.Context, roomID string) (live.Room, error)
	}
}

// Register adds the room endpoints to rt. All of them are for merchants; the mutating ones honour
// Idempotency-Key.
//
//	POST   /v1/rooms                                create a room and its IM group (201)
//	GET    /v1/rooms?status=&limit=&after=          list rooms, optionally in one status
//	GET    /v1/rooms/{roomId}                       a room with its likes and viewers
//	PUT    /v1/rooms/{roomId}/status                {"status":"live"}: change the status
//	PUT    /v1/rooms/{roomId}/notice                {"notice":"…"}: set the group Notification
//	POST   /v1/rooms/{roomId}/products              pin the current product
//	DELETE /v1/rooms/{roomId}/products/current      unpin it
//	GET    /v1/rooms/{roomId}/summary               what the room did
//	GET    /v1/rooms/{roomId}/timeline              viewers and likes over time
func (h Rooms) Register(rt *Router) {
	merchant, once := h.Merchants.Require, h.Idempotency.Wrap
	rt.Handle("POST /v1/rooms", merchant(once(h.create)))
	rt.Handle("GET /v1/rooms", merchant(h.list))
	rt.Handle("GET /v1/rooms/{roomId}", merchant(h.get))
	rt.Handle("PUT /v1/rooms/{roomId}/status", merchant(once(h.setStatus)))
	rt.Handle("PUT /v1/rooms/{roomId}/notice", merchant(once(h.setNotice)))
	rt.Handle("POST /v1/rooms/{roomId}/products", merchant(once(h.pin)))
	rt.Handle("DELETE /v1/rooms/{roomId}/products/current", merchant(once(h.unpin)))
	rt.Handle("GET /v1/rooms/{roomId}/summary", merchant(h.summary))
	rt.Handle("GET /v1/rooms/{roomId}/timeline", merchant(h.timeline))
}

// CreateRoomRequest is the body of POST /v1/rooms.
type CreateRoomRequest struct {
	RoomID           string `json:"roomId"`
	Title            string `json:"title"`
	AnchorID         string `json:"anchorId"`
	Introduction     string `json:"introduction"`
	ScheduledStartAt string `json:"scheduledStartAt"`
	ScheduledEndAt   string `json:"scheduledEndAt"`
}

// Validate reports the first problem of the request.
func (c CreateRoomRequest) Validate() error {
	_, err := c.Params()
	return err
}

// Params converts the request to the service's parameters, validating them.
func (c CreateRoomRequest) Params() (rooms.CreateParams, error) {
	p := rooms.CreateParams{RoomID: c.RoomID, Title: c.Title, AnchorID: c.AnchorID, Introduction: c.Introduction}
	var err error
	if p.ScheduledStartAt, err = parseTime("scheduledStartAt", c.ScheduledStartAt); err != nil {
		return p, err
	}
	if p.ScheduledEndAt, err = parseTime("scheduledEndAt", c.ScheduledEndAt); err != nil {
		return p, err
	}
	return p, p.Validate()
}

func parseTime(field, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, live.Errorf(live.EInvalid, "%s must be an RFC 3339 time such as 2025-05-01T19:00:00+09:00.", field)
	}
	return &t, nil
}

// SetStatusRequest is the body of PUT /v1/rooms/{roomId}/status.
type SetStatusRequest struct {
	Status string `json:"status"`
}

// Validate reports whether the status is one of created, live, paused and ended.
func (s SetStatusRequest) Validate() error {
	_, err := live.ParseRoomStatus(s.Status)
	return err
}

// SetNoticeRequest is the body of PUT /v1/rooms/{roomId}/notice. An empty notice clears it.
type SetNoticeRequest struct {
	Notice *string `json:"notice"`
}

// Validate reports whether the notice is present and fits the group Notification.
func (s SetNoticeRequest) Validate() error {
	if s.Notice == nil {
		return live.Errorf(live.EInvalid, "notice is required; send \"\" to clear it.")
	}
	return live.ValidateNotice(*s.Notice)
}

// RoomList is the answer of GET /v1/rooms.
type RoomList = rooms.Page

func (h Rooms) create(w http.ResponseWriter, r *http.Request) error {
	var req CreateRoomRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	p, err := req.Params()
	if err != nil {
		return err
	}
	room, err := h.Service.Create(r.Context(), p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/rooms/"+url.PathEscape(room.ID))
	return WriteJSON(w, http.StatusCreated, room)
}

func (h Rooms) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := rooms.ListParams{Status: live.RoomStatus(q.Get("status")), After: q.Get("after")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return live.Errorf(live.EInvalid, "limit must be a whole number from 1 to %d.", rooms.MaxListLimit)
		}
		p.Limit = n
	}
	page, err := h.Service.List(r.Context(), p)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, page)
}

func (h Rooms) get(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Service.Get(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, v)
}

func (h Rooms) setStatus(w http.ResponseWriter, r *http.Request) error {
	var req SetStatusRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	var room live.Room
	var err error
	if h.Ender != nil && req.Status == string(live.StatusEnded) {
		room, err = h.Ender.EndRoom(r.Context(), r.PathValue("roomId"))
	} else {
		room, err = h.Service.SetStatus(r.Context(), r.PathValue("roomId"), live.RoomStatus(req.Status))
	}
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, room)
}

func (h Rooms) setNotice(w http.ResponseWriter, r *http.Request) error {
	var req SetNoticeRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	room, err := h.Service.SetNotice(r.Context(), r.PathValue("roomId"), *req.Notice)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, room)
}

func (h Rooms) pin(w http.ResponseWriter, r *http.Request) error {
	var p live.Product
	if err := DecodeJSON(r, &p, false); err != nil {
		return err
	}
	room, err := h.Service.PinProduct(r.Context(), r.PathValue("roomId"), p)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, room)
}

func (h Rooms) unpin(w http.ResponseWriter, r *http.Request) error {
	var empty struct{}
	if err := DecodeJSON(r, &empty, true); err != nil {
		return err
	}
	room, err := h.Service.UnpinProduct(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, room)
}

func (h Rooms) summary(w http.ResponseWriter, r *http.Request) error {
	s, err := h.Service.Summary(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, s)
}

func (h Rooms) timeline(w http.ResponseWriter, r *http.Request) error {
	tl, err := h.Service.Timeline(r.Context(), r.PathValue("roomId"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, tl)
}
