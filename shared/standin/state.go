package standin

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/standin/statefile"
	"github.com/uriba-live/uriba/shared/tim"
)

// The state a stand-in keeps in Config.StateFile is what Tencent IM itself would still hold when
// the app restarts: the accounts with their profiles, the groups with their properties, custom
// fields, members and mutes, each group's last MsgSeq, and the app's group custom field keys.
// Message history, system notifications, duplicate detection and rate limits stay in memory.
//
// Members are kept because in the stand-in, as in an AVChatRoom whose viewers stay online, a
// member stays until it quits: a viewer whose event stream broke during a restart reconnects as
// the member it was, without a second join (and a second count in the app's viewer numbers).

// stateVersion is the version of the state file's layout.
const stateVersion = 1

// defaultSaveInterval is how often changed state is written when Config.SaveInterval is 0.
const defaultSaveInterval = time.Second

type savedState struct {
	Version   int            `json:"version"`
	SDKAppID  int            `json:"sdkAppId"`
	Accounts  []savedAccount `json:"accounts"`
	Groups    []savedGroup   `json:"groups"`
	FieldKeys []string       `json:"groupFieldKeys"`
}

type savedAccount struct {
	ID       string                     `json:"id"`
	Imported time.Time                  `json:"imported"`
	Profile  map[string]json.RawMessage `json:"profile,omitempty"`
}

type savedGroup struct {
	ID           string               `json:"id"`
	Type         string               `json:"type"`
	Name         string               `json:"name"`
	Introduction string               `json:"introduction,omitempty"`
	Notification string               `json:"notification,omitempty"`
	FaceURL      string               `json:"faceUrl,omitempty"`
	Owner        string               `json:"owner,omitempty"`
	Created      time.Time            `json:"created"`
	MuteAll      bool                 `json:"muteAll,omitempty"`
	Fields       []tim.KeyValue       `json:"fields,omitempty"`
	Members      map[string]time.Time `json:"members,omitempty"` // join times
	Mutes        map[string]time.Time `json:"mutes,omitempty"`   // end of each mute
	LastSeq      uint64               `json:"lastSeq,omitempty"`
}

// changedLocked marks the state as changed since it was last saved. The caller holds im.mu.
func (im *IM) changedLocked() { im.dirty = true }

// snapshotLocked returns the state to save, sorted so that equal states save equal files. The
// caller holds im.mu.
func (im *IM) snapshotLocked() savedState {
	s := savedState{Version: stateVersion, SDKAppID: im.cfg.SDKAppID, FieldKeys: slices.Clone(im.fieldKeys)}
	for _, id := range slices.Sorted(maps.Keys(im.accounts)) {
		a := im.accounts[id]
		s.Accounts = append(s.Accounts, savedAccount{ID: a.id, Imported: a.imported, Profile: maps.Clone(a.profile)})
	}
	now := im.now()
	for _, id := range slices.Sorted(maps.Keys(im.groups)) {
		g := im.groups[id]
		sg := savedGroup{
			ID: g.id, Type: tim.GroupTypeAVChatRoom, Name: g.name, Introduction: g.introduction,
			Notification: g.notification, FaceURL: g.faceURL, Owner: g.owner, Created: g.created,
			MuteAll: g.muteAll, Fields: slices.Clone(g.fields), Members: maps.Clone(g.members), LastSeq: g.seq,
		}
		for member, until := range g.mutes {
			if now.Before(until) {
				if sg.Mutes == nil {
					sg.Mutes = make(map[string]time.Time)
				}
				sg.Mutes[member] = until
			}
		}
		s.Groups = append(s.Groups, sg)
	}
	return s
}

// loadState reads Config.StateFile, when it is set and exists, into the stand-in before it
// serves. A file of another SDKAppID is left unread (and replaced at the next save), as another
// app's accounts and groups are not this app's.
func (im *IM) loadState() error {
	if im.cfg.StateFile == "" {
		return nil
	}
	var s savedState
	found, err := statefile.Load(im.cfg.StateFile, &s)
	if err != nil || !found {
		return err
	}
	if s.Version != stateVersion {
		return fmt.Errorf("%s has layout version %d, not %d: delete it to start afresh", im.cfg.StateFile, s.Version, stateVersion)
	}
	if s.SDKAppID != im.cfg.SDKAppID {
		im.log.Warn("state file belongs to another app; starting empty", "file", im.cfg.StateFile, "sdkAppId", s.SDKAppID)
		return nil
	}
	if len(s.FieldKeys) > tim.MaxGroupFields {
		return fmt.Errorf("%s names %d group custom field keys, more than %d: delete it to start afresh", im.cfg.StateFile, len(s.FieldKeys), tim.MaxGroupFields)
	}
	im.fieldKeys = slices.Clone(s.FieldKeys)
	for _, a := range s.Accounts {
		if checkUserID(a.ID) != nil {
			return fmt.Errorf("%s holds an account with an invalid UserID: delete it to start afresh", im.cfg.StateFile)
		}
		acc := newAccount(a.ID, a.Imported)
		maps.Copy(acc.profile, a.Profile)
		im.accounts[a.ID] = acc
	}
	for _, sg := range s.Groups {
		if sg.ID == "" || checkGroupID(sg.ID) != nil || sg.Type != tim.GroupTypeAVChatRoom {
			return fmt.Errorf("%s holds a group %q that is not a valid %s: delete it to start afresh", im.cfg.StateFile, sg.ID, tim.GroupTypeAVChatRoom)
		}
		g := &group{
			id: sg.ID, name: sg.Name, introduction: sg.Introduction, notification: sg.Notification,
			faceURL: sg.FaceURL, owner: sg.Owner, created: sg.Created, muteAll: sg.MuteAll,
			fields: slices.Clone(sg.Fields), members: make(map[string]time.Time), mutes: make(map[string]time.Time),
			subs: make(map[*subscriber]struct{}), seq: sg.LastSeq,
		}
		maps.Copy(g.members, sg.Members)
		maps.Copy(g.mutes, sg.Mutes)
		im.groups[sg.ID] = g
	}
	im.log.Info("state restored", "file", im.cfg.StateFile, "accounts", len(s.Accounts), "groups", len(s.Groups))
	return nil
}

// saveLoop writes the state, when it changed, each time the interval every passes, until stop
// is closed.
func (im *IM) saveLoop(every time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			im.save()
		}
	}
}

// save writes the state to Config.StateFile, when it changed since the last save. A failed save
// is logged and tried again at the next one.
func (im *IM) save() {
	if im.cfg.StateFile == "" {
		return
	}
	im.mu.Lock()
	if !im.dirty {
		im.mu.Unlock()
		return
	}
	s := im.snapshotLocked()
	im.dirty = false
	im.mu.Unlock()
	if err := statefile.Save(im.cfg.StateFile, s); err != nil {
		im.log.Warn("state not saved", "err", strings.TrimPrefix(err.Error(), "statefile: "))
		im.mu.Lock()
		im.dirty = true
		im.mu.Unlock()
	}
}
