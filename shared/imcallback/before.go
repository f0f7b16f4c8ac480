package imcallback

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/tim"
)

// beforeSendMsg decides the fate of a message before IM delivers it, and counts its likes. The
// decision depends on the message alone, never on I/O. A message is refused for the first
// problem found, element by element:
//
//   - a custom element whose event is server-only, unless the admin sent it: CodeServerOnly;
//   - a banned word in a text element, or in a custom element's Desc or Ext with ModerateCustom:
//     CodeModerated (reject), ErrorCode 2 (drop), or a masked replacement (mask).
//
// A message that passes and carries likes has them counted; with AbsorbLikes a message made only
// of likes is then discarded with ErrorCode 2, and its like activity published at once.
func (h *Handler) beforeSendMsg(ctx context.Context, s *scratch) []byte {
	m := &s.msg
	s.repl = s.repl[:0]
	privileged := h.privileged(m)
	var likes int64
	likeElems := 0
	for i := range m.MsgBody {
		el := &m.MsgBody[i]
		switch el.MsgType {
		case tim.ElemText:
			if h.mod == nil {
				continue
			}
			text, ok := s.textOf(el)
			if !ok {
				continue
			}
			masked, hit := h.screen(text)
			if !hit {
				continue
			}
			if h.cfg.ModerationMode != ModerationMask {
				return h.moderated(ctx, m)
			}
			s.repl = append(s.repl, replacement{index: i, content: encode(tim.TextContent{Text: masked})})
		case tim.ElemCustom:
			c, bad, ok := s.customParts(el)
			if !ok {
				continue
			}
			// The guard needs only Data: a stray type elsewhere must not let a forged event by.
			if bad&badData == 0 && !privileged && h.isServerOnly(c.Data) {
				return h.forged(ctx, m, c.Data)
			}
			if bad&(badData|badDesc|badExt|badSound) != 0 {
				continue
			}
			if h.mod != nil && h.cfg.ModerateCustom {
				desc, descHit := h.screen(c.Desc)
				ext, extHit := h.screen(c.Ext)
				if descHit || extHit {
					if h.cfg.ModerationMode != ModerationMask {
						return h.moderated(ctx, m)
					}
					mc := *c
					mc.Desc, mc.Ext = desc, ext
					s.repl = append(s.repl, replacement{index: i, content: encode(mc)})
				}
			}
			if c.Data == h.cfg.LikeEvent {
				likes += s.likeCount(c.Ext, h.cfg.MaxLikesPerMessage)
				likeElems++
			}
		}
	}
	if likeElems > 0 {
		h.m.likeMessages.Add(1)
		absorb := h.cfg.AbsorbLikes && likeElems == len(m.MsgBody)
		h.countLikes(ctx, m, min(likes, h.cfg.MaxLikesPerMessage), absorb)
		if absorb {
			h.m.absorbed.Add(1)
			return replyDiscard
		}
	}
	if len(s.repl) == 0 {
		return replyOK
	}
	h.m.moderated.Add(1)
	reply, err := maskedReply(m.MsgBody, s.repl)
	if err != nil {
		// Not expected: every element came from valid JSON. Refusing keeps the banned words out.
		h.log.WarnContext(ctx, "masked message could not be encoded; refusing it", "room", trimID(m.GroupID), "err", err)
		h.m.rejected.Add(1)
		return replyModerated
	}
	h.m.masked.Add(1)
	return reply
}

// screen checks text: in mask mode it returns the masked text, otherwise text itself, and whether
// text has a banned word.
func (h *Handler) screen(text string) (string, bool) {
	if text == "" {
		return text, false
	}
	if h.cfg.ModerationMode == ModerationMask {
		return h.mod.Mask(text)
	}
	return text, h.mod.Contains(text)
}

// moderated answers a message with a banned word in reject or drop mode.
func (h *Handler) moderated(ctx context.Context, m *sendMsg) []byte {
	h.m.moderated.Add(1)
	if h.log.Enabled(ctx, slog.LevelDebug) {
		h.log.DebugContext(ctx, "message moderated", "room", trimID(m.GroupID), "from", trimID(m.FromAccount),
			"mode", string(h.cfg.ModerationMode))
	}
	if h.cfg.ModerationMode == ModerationDrop {
		h.m.dropped.Add(1)
		return replyDiscard
	}
	h.m.rejected.Add(1)
	return replyModerated
}

// forged answers a server-only event sent by a client.
func (h *Handler) forged(ctx context.Context, m *sendMsg, event string) []byte {
	h.m.rejected.Add(1)
	h.m.forged.Add(1)
	if h.log.Enabled(ctx, slog.LevelInfo) {
		h.log.InfoContext(ctx, "server-only event refused", "room", trimID(m.GroupID), "from", trimID(m.FromAccount),
			"operator", trimID(m.OperatorAccount), "event", trimID(event))
	}
	return replyServerOnly
}

// countLikes adds the n likes of a message to the room within the I/O budget, once per message:
// a message is known by its room, From_Account and Random, IM's own duplicate key, so that a
// signed callback sent again, which the signature cannot tell from the first, counts nothing.
// An absorbed like message never reaches AfterSendMsg, so its like activity is published here
// when its likes are counted, identified by From_Account and Random as IM gives it no MsgSeq.
func (h *Handler) countLikes(ctx context.Context, m *sendMsg, n int64, absorbed bool) {
	room, from, random := m.GroupID, m.FromAccount, m.Random
	count := h.stats != nil && room != "" && n > 0
	var activity *live.Activity
	if absorbed && h.pub != nil && room != "" && from != "" && from != h.cfg.Admin {
		activity = &live.Activity{ID: from + "/" + strconv.FormatUint(random, 10), RoomID: room,
			UserID: from, Kind: live.KindLike, Amount: n, At: h.messageTime(m)}
	}
	if !count && activity == nil {
		return
	}
	h.runIO(ctx, "count likes", room, func(ctx context.Context) error {
		if count {
			counted, err := h.stats.AddMessageLikes(ctx, room, from, random, n, h.replayMemory)
			if err != nil || !counted {
				return err
			}
			h.m.likes.Add(uint64(n))
		}
		// The like total's job goes first: it must not wait behind a queue busy with activities.
		var scheduled error
		if count && h.likeTotals != nil {
			scheduled = h.likeTotals.Liked(ctx, room)
		}
		if activity != nil {
			if err := h.pub.Publish(ctx, *activity); err != nil {
				return errors.Join(err, scheduled)
			}
			h.m.activities.Add(1)
		}
		return scheduled
	})
}

// likeExt is the JSON object a like's Ext may be. Either field carries the number of likes the
// message stands for, as a number or a numeric string.
type likeExt struct {
	Count json.Number `json:"count"`
	N     json.Number `json:"n"`
}

// likeCount returns how many likes a like element stands for: the count its Ext carries, as a
// bare integer or as the "count" or "n" of a JSON object, between 1 and limit; 1 when it carries
// none.
func (s *scratch) likeCount(ext string, limit int64) int64 {
	ext = strings.TrimSpace(ext)
	n := int64(1)
	switch {
	case ext == "":
	case ext[0] >= '0' && ext[0] <= '9':
		if v, err := strconv.ParseInt(ext, 10, 64); err == nil {
			n = v
		}
	case ext[0] == '{':
		s.like = likeExt{}
		if json.Unmarshal([]byte(ext), &s.like) == nil {
			num := s.like.Count
			if num == "" {
				num = s.like.N
			}
			if v, err := num.Int64(); err == nil {
				n = v
			}
		}
	}
	return max(1, min(n, limit))
}

// encode marshals a value that always encodes.
func encode(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
