package imcallback

import (
	"context"
	"errors"
)

// membersChanged counts the viewers who joined or left a room. Stats makes duplicate callbacks
// harmless. The admin is not a viewer.
func (h *Handler) membersChanged(ctx context.Context, join bool, ms *membership) {
	list := ms.ExitMemberList
	if join {
		list = ms.NewMemberList
	}
	if h.stats == nil || ms.GroupID == "" || len(list) == 0 {
		return
	}
	room := ms.GroupID
	users := make([]string, 0, len(list))
	for _, member := range list {
		if u := member.MemberAccount; u != "" && u != h.cfg.Admin {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return
	}
	op := "count viewer exits"
	if join {
		op = "count viewer joins"
	}
	h.runIO(ctx, op, room, func(ctx context.Context) error {
		var errs []error
		for _, u := range users {
			if err := h.memberChanged(ctx, join, room, u); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

func (h *Handler) memberChanged(ctx context.Context, join bool, room, user string) error {
	if join {
		joined, err := h.stats.Join(ctx, room, user)
		if joined {
			h.m.joins.Add(1)
		}
		return err
	}
	left, err := h.stats.Leave(ctx, room, user)
	if left {
		h.m.leaves.Add(1)
	}
	return err
}
