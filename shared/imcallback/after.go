package imcallback

import (
	"context"
	"strconv"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/tim"
)

// Custom message events clients send, besides the like event. Coupons and follows earn an
// activity. BUY_GOODS and CANCELATTENTION are prompts in the room and earn nothing: a viewer's
// client can send BUY_GOODS at will, so purchase XP comes only from purchases the server attests
// (live.KindPurchase), never from a message.
const (
	EventBuy      = live.EventBuyGoods
	EventCoupon   = live.EventUseCoupon
	EventFollow   = live.EventFollow
	EventUnfollow = live.EventUnfollow
)

// afterSendMsg counts a delivered chat message in the room's statistics and publishes the
// activity of a delivered message, if it earns one.
func (h *Handler) afterSendMsg(ctx context.Context, s *scratch) {
	m := &s.msg
	if m.GroupID == "" || m.FromAccount == "" || m.FromAccount == h.cfg.Admin {
		return
	}
	kind, amount := h.classify(s)
	if kind == "" {
		return
	}
	a := live.Activity{
		ID:     activityID(m),
		RoomID: m.GroupID,
		UserID: m.FromAccount,
		Kind:   kind,
		Amount: amount,
		At:     h.messageTime(m),
	}
	countMessage := kind == live.KindChat && h.stats != nil
	if !countMessage && h.pub == nil {
		return
	}
	// Both writes share one I/O budget; the activity goes first, since levels matter more than
	// statistics.
	h.runIO(ctx, "record message", a.RoomID, func(ctx context.Context) error {
		if h.pub != nil {
			if err := h.pub.Publish(ctx, a); err != nil {
				return err
			}
			h.m.activities.Add(1)
		}
		if countMessage {
			_, err := h.stats.AddMessage(ctx, a.RoomID, a.ID)
			return err
		}
		return nil
	})
}

// classify returns the activity a message earns, by its first text or custom element: a text is
// a chat; a custom element earns by its event, while server-only events, BUY_GOODS,
// CANCELATTENTION and unknown events earn nothing. It returns an empty kind when the message earns
// nothing, and otherwise always one of live.ClientKinds, each capped per day by the level rules.
func (h *Handler) classify(s *scratch) (live.ActivityKind, int64) {
	for i := range s.msg.MsgBody {
		el := &s.msg.MsgBody[i]
		switch el.MsgType {
		case tim.ElemText:
			return live.KindChat, 1
		case tim.ElemCustom:
			c, ok := s.customOf(el)
			if !ok || h.isServerOnly(c.Data) {
				return "", 0
			}
			switch c.Data {
			case h.cfg.LikeEvent:
				return live.KindLike, s.likeCount(c.Ext, h.cfg.MaxLikesPerMessage)
			case EventCoupon:
				return live.KindCoupon, 1
			case EventFollow:
				return live.KindFollow, 1
			}
			return "", 0
		}
	}
	return "", 0
}

// activityID identifies a delivered message: GroupId/MsgSeq, or From_Account/Random when IM gave
// no MsgSeq. Redelivered callbacks get the same ID.
func activityID(m *sendMsg) string {
	if m.MsgSeq != 0 {
		return m.GroupID + "/" + strconv.FormatUint(m.MsgSeq, 10)
	}
	return m.FromAccount + "/" + strconv.FormatUint(m.Random, 10)
}

// messageTime is when a message was sent: MsgTime, else EventTime, else now.
func (h *Handler) messageTime(m *sendMsg) time.Time {
	switch {
	case m.MsgTime > 0:
		return time.Unix(m.MsgTime, 0).UTC()
	case m.EventTime > 0:
		return time.UnixMilli(m.EventTime).UTC()
	}
	return h.now().UTC()
}
