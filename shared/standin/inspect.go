package standin

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

// GroupView is a snapshot of a group, for tests.
type GroupView struct {
	ID            string
	Type          string
	Name          string
	Introduction  string
	Notification  string
	FaceURL       string
	Owner         string
	CreatedAt     time.Time
	MuteAllMember bool
	Fields        map[string]string    // custom fields (AppDefinedData)
	Members       []string             // sorted
	Muted         map[string]time.Time // members muted now, with the end of their mute
	LastSeq       uint64               // MsgSeq of the last delivered message
}

// Group returns a snapshot of the group id, and false when it does not exist.
func (im *IM) Group(id string) (GroupView, bool) {
	im.mu.Lock()
	defer im.mu.Unlock()
	g := im.groups[id]
	if g == nil {
		return GroupView{}, false
	}
	v := GroupView{
		ID:            g.id,
		Type:          tim.GroupTypeAVChatRoom,
		Name:          g.name,
		Introduction:  g.introduction,
		Notification:  g.notification,
		FaceURL:       g.faceURL,
		Owner:         g.owner,
		CreatedAt:     g.created,
		MuteAllMember: g.muteAll,
		Fields:        make(map[string]string, len(g.fields)),
		Members:       slices.Sorted(maps.Keys(g.members)),
		Muted:         make(map[string]time.Time),
		LastSeq:       g.seq,
	}
	for _, f := range g.fields {
		v.Fields[f.Key] = f.Value
	}
	now := im.now()
	for member := range g.mutes {
		if until, muted := g.mutedUntil(member, now); muted {
			v.Muted[member] = until
		}
	}
	return v, true
}

// Profile returns a copy of the profile of userID by tag, and false when the account was never
// imported.
func (im *IM) Profile(userID string) (map[string]json.RawMessage, bool) {
	im.mu.Lock()
	defer im.mu.Unlock()
	a := im.accounts[userID]
	if a == nil {
		return nil, false
	}
	p := make(map[string]json.RawMessage, len(a.profile))
	for tag, v := range a.profile {
		p[tag] = append(json.RawMessage(nil), v...)
	}
	return p, true
}

// Messages returns the messages delivered to groupID, oldest first (at most the last 10,000).
// Messages that were refused, discarded by the BeforeSendMsg callback or dropped by frequency
// control are not there. It returns nil for a group that does not exist.
func (im *IM) Messages(groupID string) []Message {
	im.mu.Lock()
	defer im.mu.Unlock()
	g := im.groups[groupID]
	if g == nil {
		return nil
	}
	out := make([]Message, len(g.history))
	for i, m := range g.history {
		m.Body = slices.Clone(m.Body)
		out[i] = m
	}
	return out
}

// Notifications returns the system notifications sent to groupID, oldest first.
func (im *IM) Notifications(groupID string) []Notification {
	im.mu.Lock()
	defer im.mu.Unlock()
	g := im.groups[groupID]
	if g == nil {
		return nil
	}
	return slices.Clone(g.notices)
}

// Subscribers returns how many viewer event streams are open on groupID.
func (im *IM) Subscribers(groupID string) int {
	im.mu.Lock()
	defer im.mu.Unlock()
	g := im.groups[groupID]
	if g == nil {
		return 0
	}
	return len(g.subs)
}
