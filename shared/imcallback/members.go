package imcallback

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"

	"github.com/uriba-live/uriba/shared/tim"
)

// membersChanged counts the viewers who joined or left a room. However many members a callback
// names, it is counted with a few store calls: the distinct viewers it names are added or taken
// away at once, under an identity that makes a redelivery of the callback count nothing. The
// admin is not a viewer.
func (h *Handler) membersChanged(ctx context.Context, join bool, ms *membership) {
	list := ms.ExitMemberList
	if join {
		list = ms.NewMemberList
	}
	if h.stats == nil || ms.GroupID == "" || len(list) == 0 {
		return
	}
	seen := make(map[string]struct{}, len(list))
	for _, member := range list {
		if u := member.MemberAccount; u != "" && u != h.cfg.Admin {
			seen[u] = struct{}{}
		}
	}
	n := int64(len(seen))
	if n == 0 {
		return
	}
	room, event := ms.GroupID, membershipEvent(join, ms, list)
	op := "count viewer exits"
	if join {
		op = "count viewer joins"
	}
	h.runIO(ctx, op, room, func(ctx context.Context) error {
		if join {
			counted, err := h.stats.Join(ctx, room, event, n)
			if counted {
				h.m.joins.Add(uint64(n))
			}
			return err
		}
		counted, err := h.stats.Leave(ctx, room, event, n)
		if counted {
			h.m.leaves.Add(uint64(n))
		}
		return err
	})
}

// membershipEvent identifies a membership callback for deduplication: its kind, EventTime and
// members, hashed. A redelivery carries the same body and so the same identity. Without an
// EventTime two genuine callbacks could not be told apart from one delivered twice, so such a
// callback gets no identity and is always counted.
func membershipEvent(join bool, ms *membership, list []tim.Member) string {
	if ms.EventTime <= 0 {
		return ""
	}
	d := sha256.New()
	var buf [8]byte
	kind := byte('x')
	if join {
		kind = 'j'
	}
	d.Write([]byte{kind})
	binary.BigEndian.PutUint64(buf[:], uint64(len(list)))
	d.Write(buf[:])
	for _, m := range list {
		binary.BigEndian.PutUint64(buf[:], uint64(len(m.MemberAccount)))
		d.Write(buf[:])
		d.Write([]byte(m.MemberAccount))
	}
	sum := d.Sum(nil)
	return strconv.FormatInt(ms.EventTime, 10) + "." + base64.RawURLEncoding.EncodeToString(sum[:16])
}
