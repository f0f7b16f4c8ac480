package levelstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/levels/levelstest"
	"github.com/uriba-live/uriba/shared/live"
)

func TestUpdaterKeepsLevels(t *testing.T) {
	u := levelstest.Updater(t)
	ctx := context.Background()
	a := live.Activity{ID: "room-1/1", RoomID: "room-1", UserID: "bob", Kind: live.KindChat, Amount: 1, At: time.Now()}
	if failed, err := u.Apply(ctx, []live.Activity{a}); err != nil || len(failed) > 0 {
		t.Fatalf("Apply = %v, %v", failed, err)
	}
	if l, err := u.Get(ctx, "bob"); err != nil || l.XP == 0 {
		t.Fatalf("Get(bob) = %+v, %v; want the XP of one chat", l, err)
	}
}
