package levels_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/standin/standintest"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

// startIM serves the IM stand-in on loopback and returns it with a client, after importing the
// users and creating the rooms.
func startIM(t *testing.T, users, rooms []string) (*standin.IM, *tim.Client) {
	t.Helper()
	s := standintest.Start(t, standin.Config{})
	s.Import(t, users...)
	s.CreateRooms(t, rooms...)
	return s.IM, s.Client
}

// levelUps returns the LEVEL_UP announcements delivered to room.
func levelUps(t *testing.T, im *standin.IM, room string) []levels.LevelUp {
	t.Helper()
	var out []levels.LevelUp
	for _, m := range im.Messages(room) {
		for _, e := range m.Body {
			c, ok := e.Custom()
			if !ok || c.Data != levels.LevelUpEvent {
				continue
			}
			if m.Priority != tim.PriorityLow || m.From != "administrator" {
				t.Errorf("LEVEL_UP sent by %q at priority %q, want the admin at Low", m.From, m.Priority)
			}
			var up levels.LevelUp
			if err := json.Unmarshal([]byte(c.Ext), &up); err != nil {
				t.Fatalf("LEVEL_UP Ext %q: %v", c.Ext, err)
			}
			out = append(out, up)
		}
	}
	return out
}

// profileLevel returns the Tag_Profile_IM_Level of user, or 0.
func profileLevel(t *testing.T, im *standin.IM, user string) int64 {
	t.Helper()
	p, ok := im.Profile(user)
	if !ok {
		t.Fatalf("no account %s", user)
	}
	var n int64
	if raw, ok := p[tim.TagLevel]; ok {
		if err := json.Unmarshal(raw, &n); err != nil {
			t.Fatalf("%s = %s: %v", tim.TagLevel, raw, err)
		}
	}
	return n
}

func TestALevelUpReachesIMOnce(t *testing.T) {
	im, client := startIM(t, []string{"bob"}, []string{"room-1"})
	kv := memstore.New(nil)
	u := newUpdater(t, kv, clock.NewManual(time.Now()), levels.IM{Client: client})
	batch := []live.Activity{act("bob", live.KindPurchase, 1, 1, time.Now().Add(-time.Minute))}

	// The effects succeed but recording them fails: the batch is redelivered.
	kv.SetFaults(memstore.FailCalls("bob", 0, store.ErrUnavailable, "CompareAndSwap"))
	if failed, _ := u.Apply(context.Background(), batch); len(failed) != 1 {
		t.Fatalf("failed %v, want bob's activity while the announcement cannot be recorded", failed)
	}
	kv.SetFaults(nil)
	mustApply(t, u, batch)
	mustApply(t, u, batch)

	if got := profileLevel(t, im, "bob"); got != 2 {
		t.Errorf("bob's %s is %d, want 2", tim.TagLevel, got)
	}
	ups := levelUps(t, im, "room-1")
	if want := (levels.LevelUp{UserID: "bob", Level: 2, RoomID: "room-1"}); len(ups) != 1 || ups[0] != want {
		t.Fatalf("room-1 got LEVEL_UP %+v, want exactly %+v", ups, want)
	}
	if s := u.Stats(); s.Announced != 1 {
		t.Errorf("%d announcements recorded, want 1", s.Announced)
	}
}

func TestALevelUpInARoomIMDoesNotKnowIsGivenUp(t *testing.T) {
	im, client := startIM(t, []string{"bob"}, nil)
	u := newUpdater(t, memstore.New(nil), clock.NewManual(time.Now()), levels.IM{Client: client})
	a := act("bob", live.KindPurchase, 1, 1, time.Now().Add(-time.Minute))
	a.RoomID = "room-gone"
	mustApply(t, u, []live.Activity{a})
	if got := profileLevel(t, im, "bob"); got != 2 {
		t.Errorf("bob's %s is %d, want 2", tim.TagLevel, got)
	}
	if s := u.Stats(); s.GivenUp != 1 {
		t.Errorf("%d level-ups given up, want 1", s.GivenUp)
	}
}

func TestLevelUpRandomIsStableAndNonZero(t *testing.T) {
	a, b := levels.LevelUpRandom("bob", 2), levels.LevelUpRandom("bob", 2)
	if a != b || a == 0 {
		t.Fatalf("LevelUpRandom gives %d then %d", a, b)
	}
	if levels.LevelUpRandom("bob", 3) == a || levels.LevelUpRandom("bo", 2) == a {
		t.Error("LevelUpRandom repeats for another level or user")
	}
}

// TestARoomAnnouncesAtMostItsBudgetOfLevelUpsASecond raises 12 viewers of one room in one second
// with a budget of 5: the room gets 5 LEVEL_UP messages, every viewer's profile gets the new
// level, and the next second has its own budget.
func TestARoomAnnouncesAtMostItsBudgetOfLevelUpsASecond(t *testing.T) {
	users := make([]string, 13)
	for i := range users {
		users[i] = fmt.Sprintf("viewer-%02d", i)
	}
	im, client := startIM(t, users, []string{"room-1"})
	kv := memstore.New(nil)
	clk := clock.NewManual(time.Now())
	budget := levels.RoomBudget{Announcer: levels.IM{Client: client}, Counters: kv, PerSecond: 5, Now: clk.Now}
	u := newUpdater(t, kv, clk, budget)
	var batch []live.Activity
	for i, user := range users[:12] {
		batch = append(batch, act(user, live.KindPurchase, 1, i+1, clk.Now().Add(-time.Minute)))
	}
	mustApply(t, u, batch)
	if ups := levelUps(t, im, "room-1"); len(ups) != 5 {
		t.Fatalf("%d LEVEL_UP messages in one second, want the budget of 5", len(ups))
	}
	for _, user := range users[:12] {
		if got := profileLevel(t, im, user); got != 2 {
			t.Errorf("%s's level is %d, want 2 whether announced or not", user, got)
		}
	}
	clk.Advance(time.Second)
	mustApply(t, u, []live.Activity{act(users[12], live.KindPurchase, 1, 100, clk.Now().Add(-time.Minute))})
	if ups := levelUps(t, im, "room-1"); len(ups) != 6 {
		t.Fatalf("%d LEVEL_UP messages, want 6 with the next second's", len(ups))
	}
}
