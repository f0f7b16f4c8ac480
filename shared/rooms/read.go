package rooms

import (
	"context"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store"
)

// View is a room with its live counters and its gift and purchase totals.
type View struct {
	live.Room
	Stats roomstats.Counts `json:"stats"`
	Sales roomstats.Totals `json:"sales"`
}

// Get returns the room roomID with its product history, its likes and viewers (zero without
// Config.Stats) and its gift and purchase totals (zero without Config.Sales), or ENotFound.
//
// IM calls: none.
func (s *Service) Get(ctx context.Context, roomID string) (View, error) {
	if err := validateRoomRef(roomID); err != nil {
		return View{}, err
	}
	r, _, err := s.load(ctx, roomID)
	if err != nil {
		return View{}, err
	}
	if r.Products, err = s.history(ctx, r); err != nil {
		return View{}, err
	}
	counts, err := s.counts(ctx, roomID)
	if err != nil {
		return View{}, err
	}
	sales, err := s.totals(ctx, roomID)
	if err != nil {
		return View{}, err
	}
	return View{Room: r, Stats: counts, Sales: sales}, nil
}

func (s *Service) totals(ctx context.Context, roomID string) (roomstats.Totals, error) {
	if s.sales == nil {
		return roomstats.Totals{TopGifters: []roomstats.Gifter{}, Revenue: map[string]live.Decimal{}, Products: []roomstats.ProductSales{}}, nil
	}
	return s.sales.Totals(ctx, roomID, roomstats.DefaultTopGifters)
}

func (s *Service) counts(ctx context.Context, roomID string) (roomstats.Counts, error) {
	if s.stats == nil {
		return roomstats.Counts{}, nil
	}
	return s.stats.Get(ctx, roomID)
}

// Page limits of List.
const (
	DefaultListLimit = 50
	MaxListLimit     = 200
)

// ListParams select rooms.
type ListParams struct {
	// Status keeps the rooms in that status; "" lists every room.
	Status live.RoomStatus
	// After continues a listing after the room of that ID, as Page.Next tells.
	After string
	// Limit is the page size, 1 to MaxListLimit; DefaultListLimit when 0.
	Limit int
}

// Validate reports the first problem of p as an EInvalid error.
func (p ListParams) Validate() error {
	if p.Status != "" && !p.Status.Valid() {
		return live.Errorf(live.EInvalid, "status %q is not one of created, live, paused, ended.", string(p.Status))
	}
	if p.Limit < 0 || p.Limit > MaxListLimit {
		return live.Errorf(live.EInvalid, "limit must be from 1 to %d.", MaxListLimit)
	}
	if p.After != "" && validateRoomRef(p.After) != nil {
		return live.Errorf(live.EInvalid, "after is not a room ID.")
	}
	return nil
}

// Page is one page of rooms, in byte order of their IDs (generated IDs sort by creation time).
type Page struct {
	Rooms []live.Room `json:"rooms"`
	// Next is the After of the next page; "" on the last page.
	Next string `json:"next,omitempty"`
}

// List returns a page of rooms, all of them or those in one status, without their product
// histories. The status index may name a room that has just left the status; List reads each
// room and keeps only those really in it.
//
// IM calls: none.
func (s *Service) List(ctx context.Context, p ListParams) (Page, error) {
	if err := p.Validate(); err != nil {
		return Page{}, err
	}
	limit := p.Limit
	if limit == 0 {
		limit = DefaultListLimit
	}
	dir := roomsDir
	if p.Status != "" {
		dir = statusDir(p.Status)
	}
	after := ""
	if p.After != "" {
		after = dir + store.EscapeID(p.After)
	}
	items, err := s.kv.Scan(ctx, dir, after, limit)
	if err != nil {
		return Page{}, err
	}
	page := Page{Rooms: make([]live.Room, 0, len(items))}
	for _, it := range items {
		var r live.Room
		if p.Status == "" {
			if it.Counter {
				continue
			}
			if r, err = decodeRoom(it.Value); err != nil {
				return Page{}, err
			}
		} else {
			_, name := store.Split(it.Key)
			r, _, err = s.load(ctx, store.UnescapeID(name))
			if live.ErrorCode(err) == live.ENotFound {
				continue
			}
			if err != nil {
				return Page{}, err
			}
			if r.Status != p.Status {
				continue
			}
		}
		page.Rooms = append(page.Rooms, r)
	}
	if len(items) == limit {
		_, name := store.Split(items[len(items)-1].Key)
		page.Next = store.UnescapeID(name)
	}
	return page, nil
}

// Summary is what a room did, for the merchant after the live.
//
// Gifts, Coins and TopGifters count the gifts billed in the room; Orders, Units, Revenue and
// Products the orders the shop reported for it. Messages counts the chat messages delivered to
// the room (the IM callback counts each once, in AfterSendMsg).
type Summary struct {
	RoomID    string          `json:"roomId"`
	Status    live.RoomStatus `json:"status"`
	StartedAt *time.Time      `json:"startedAt,omitempty"`
	EndedAt   *time.Time      `json:"endedAt,omitempty"`
	// DurationSeconds runs from the first time the room went live to its end, or to now while
	// it has not ended; pauses count. It is 0 for a room that never went live.
	DurationSeconds int64 `json:"durationSeconds"`
	PeakViewers     int64 `json:"peakViewers"`
	Likes           int64 `json:"likes"`
	Messages        int64 `json:"messages"`
	Gifts           int64 `json:"gifts"`
	Coins           int64 `json:"coins"`
	// TopGifters lists the viewers who spent the most coins, most first.
	TopGifters []Gifter `json:"topGifters"`
	// ProductsPinned counts the pins of the room.
	ProductsPinned int `json:"productsPinned"`
	// Orders counts the paid orders reported for the room, Units their units.
	Orders int64 `json:"orders"`
	Units  int64 `json:"units"`
	// Revenue is the amount paid per currency.
	Revenue map[string]live.Decimal `json:"revenue"`
	// Products are the orders per product, most units first.
	Products []roomstats.ProductSales `json:"products"`
	// Recordings are the stream's recording files; Screenshots counts its screenshots.
	Recordings  []live.Recording `json:"recordings,omitempty"`
	Screenshots int              `json:"screenshots,omitempty"`
}

// Gifter is a viewer and what they gave.
type Gifter = roomstats.Gifter

// Summary returns what the room did: how long it was live, its peak viewers, likes and messages (from
// Config.Stats), how many products were pinned, and its gifts and orders (from Config.Sales).
//
// IM calls: none.
func (s *Service) Summary(ctx context.Context, roomID string) (Summary, error) {
	v, err := s.Get(ctx, roomID)
	if err != nil {
		return Summary{}, err
	}
	r := v.Room
	sum := Summary{
		RoomID:         r.ID,
		Status:         r.Status,
		StartedAt:      r.StartedAt,
		EndedAt:        r.EndedAt,
		PeakViewers:    v.Stats.PeakViewers,
		Likes:          v.Stats.Likes,
		Messages:       v.Stats.Messages,
		Gifts:          v.Sales.Gifts,
		Coins:          v.Sales.Coins,
		TopGifters:     v.Sales.TopGifters,
		ProductsPinned: r.ProductsPinned,
		Orders:         v.Sales.Orders,
		Units:          v.Sales.Units,
		Revenue:        v.Sales.Revenue,
		Products:       v.Sales.Products,
	}
	if r.Stream != nil {
		sum.Recordings, sum.Screenshots = r.Stream.Recordings, r.Stream.Screenshots
	}
	if r.StartedAt != nil {
		end := s.clock()
		if r.EndedAt != nil {
			end = *r.EndedAt
		}
		sum.DurationSeconds = max(int64(end.Sub(*r.StartedAt)/time.Second), 0)
	}
	return sum, nil
}

// TimelineReader reads a room's viewers and likes over time. *roomstats.Stats implements it.
type TimelineReader interface {
	Timeline(ctx context.Context, roomID string) ([]roomstats.Point, error)
}

// Timeline is a room's viewers and likes over time, for a chart.
type Timeline struct {
	RoomID string `json:"roomId"`
	// StepSeconds is the span of one point, in seconds.
	StepSeconds int64             `json:"stepSeconds"`
	Points      []roomstats.Point `json:"points"`
}

// Timeline returns the room's viewers and likes over time, one point a roomstats.TimelineStep
// (wider for a long live), or ENotFound. Without Config.Stats, or with Stats that keep no
// timeline, it has no points.
//
// IM calls: none.
func (s *Service) Timeline(ctx context.Context, roomID string) (Timeline, error) {
	if err := validateRoomRef(roomID); err != nil {
		return Timeline{}, err
	}
	if _, _, err := s.load(ctx, roomID); err != nil {
		return Timeline{}, err
	}
	tl := Timeline{RoomID: roomID, StepSeconds: int64(roomstats.TimelineStep / time.Second), Points: []roomstats.Point{}}
	reader, ok := s.stats.(TimelineReader)
	if !ok {
		return tl, nil
	}
	points, err := reader.Timeline(ctx, roomID)
	if err != nil {
		return Timeline{}, err
	}
	if len(points) > 1 {
		tl.StepSeconds = int64(points[1].At.Sub(points[0].At) / time.Second)
	}
	tl.Points = points
	return tl, nil
}
