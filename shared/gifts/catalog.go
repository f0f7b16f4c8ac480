package gifts

import (
	"context"
	"encoding/json"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/tim"
)

const catalogDir = "gifts/"

func giftKey(id string) string { return catalogDir + store.EscapeID(id) }

// Created is the answer of CreateGift: the gift and the live rooms it was announced to.
type Created struct {
	live.Gift
	// AnnouncedTo counts the live rooms that received NEW_GIFT.
	AnnouncedTo int `json:"announcedTo"`
}

// CreateGift adds g to the catalog and announces it with NEW_GIFT (Ext: the gift's JSON), from
// the admin, to every room that is live. Adding the same gift again changes nothing and
// announces it again to rooms that missed it (IM discards repeats within five minutes); a gift
// ID already in the catalog with other content fails with EConflict.
//
// Store calls: one, and the reads of the live rooms. IM calls: one per live room.
func (s *Service) CreateGift(ctx context.Context, g live.Gift) (Created, error) {
	if err := g.Validate(); err != nil {
		return Created{}, err
	}
	raw := mustJSON(g)
	var old live.Gift
	if _, created, err := s.recordOnce(ctx, giftKey(g.GiftID), raw, &old); err != nil {
		return Created{}, err
	} else if !created && old != g {
		return Created{}, live.Errorf(live.EConflict, "Gift %q is already in the catalog with other content.", g.GiftID)
	}
	n, err := s.announce(ctx, g, raw)
	return Created{Gift: g, AnnouncedTo: n}, err
}

// announce sends NEW_GIFT to every live room. A room IM refuses is logged and skipped.
func (s *Service) announce(ctx context.Context, g live.Gift, ext []byte) (int, error) {
	sent := 0
	after := ""
	for {
		page, err := s.rooms.List(ctx, rooms.ListParams{Status: live.StatusLive, After: after, Limit: rooms.MaxListLimit})
		if err != nil {
			return sent, err
		}
		for _, r := range page.Rooms {
			_, err := s.im.SendGroupMsg(ctx, tim.SendGroupMsgRequest{
				GroupID:     r.ID,
				Random:      randomOf("newgift\x00" + g.GiftID + "\x00" + r.ID),
				MsgBody:     []tim.MsgElem{tim.CustomElem(live.EventNewGift, string(ext))},
				MsgPriority: tim.PriorityNormal,
			})
			if err != nil {
				s.log.Warn("gifts: NEW_GIFT not delivered", "room", r.ID, "gift", g.GiftID, "err", err)
				continue
			}
			sent++
		}
		if page.Next == "" {
			return sent, nil
		}
		after = page.Next
	}
}

// Gift returns the gift id of the catalog, or ENotFound.
func (s *Service) Gift(ctx context.Context, id string) (live.Gift, error) {
	if err := live.ValidateGiftID(id); err != nil {
		return live.Gift{}, live.Errorf(live.ENotFound, "There is no gift %q.", id)
	}
	var g live.Gift
	_, ok, err := s.load(ctx, giftKey(id), &g)
	if err == nil && !ok {
		err = live.Errorf(live.ENotFound, "There is no gift %q.", id)
	}
	return g, err
}

// Catalog is the gift catalog.
type Catalog struct {
	Gifts []live.Gift `json:"gifts"`
}

// Gifts returns the whole catalog, in byte order of the gift IDs.
func (s *Service) Gifts(ctx context.Context) (Catalog, error) {
	c := Catalog{Gifts: []live.Gift{}}
	after := ""
	for {
		items, err := s.kv.Scan(ctx, catalogDir, after, store.MaxScan)
		if err != nil {
			return Catalog{}, err
		}
		for _, it := range items {
			var g live.Gift
			if it.Counter || json.Unmarshal(it.Value, &g) != nil {
				continue
			}
			c.Gifts = append(c.Gifts, g)
		}
		if len(items) < store.MaxScan {
			return c, nil
		}
		after = items[len(items)-1].Key
	}
}

// Gifter is a viewer and what they gave in a room.
type Gifter = roomstats.Gifter

// MaxLeaderboard is how many gifters Leaderboard lists.
const MaxLeaderboard = 100

// Leaderboard returns the room's gifters who spent the most coins, most first, or ENotFound.
func (s *Service) Leaderboard(ctx context.Context, roomID string) ([]Gifter, error) {
	if _, err := s.rooms.Room(ctx, roomID); err != nil {
		return nil, err
	}
	return s.sales.Gifters(ctx, roomID, MaxLeaderboard)
}
