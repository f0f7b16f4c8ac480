package standintest_test

import (
	"context"
	"testing"

	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/standin/standintest"
)

func TestStartServesAStandInWithAClient(t *testing.T) {
	s := standintest.Start(t, standin.Config{})
	s.Import(t, "mei")
	s.CreateRooms(t, "room-1")
	g, ok := s.IM.Group("room-1")
	if !ok || g.Name != "room-1" {
		t.Fatalf("Group(room-1) = %+v, %v; want the room, named after its ID", g, ok)
	}
	if _, ok := s.IM.Profile("mei"); !ok {
		t.Fatal("the imported account is unknown")
	}
	n, err := s.Client.GetOnlineMemberNum(context.Background(), "room-1")
	if err != nil || n != 0 {
		t.Fatalf("GetOnlineMemberNum = %d, %v", n, err)
	}
	if c := s.NewConns(); c < 1 {
		t.Fatalf("NewConns = %d after calls", c)
	}
}
