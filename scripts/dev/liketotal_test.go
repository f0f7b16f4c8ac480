package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/standin"
)

// TestLikesFromManyViewersShowAsOneTotal sends likes from several viewers for a few intervals and
// watches LIKE_TOTAL on a connected viewer's event stream: at most one update an interval, and
// the exact total within an interval of the last like.
func TestLikesFromManyViewersShowAsOneTotal(t *testing.T) {
	const key = "mk_likes"
	const interval = time.Second
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": key, "LIKE_TOTAL_INTERVAL": interval.String()})
	if status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-likes","title":"Likes","anchorId":"anchor-4"}`, map[string]string{"Authorization": "Bearer " + key}); status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	watcher := newViewer(t, base, key, "watcher")
	if status, body := watcher.post(t, "/standin/groups/room-likes/members", ""); status != 200 {
		t.Fatalf("join: %d %s", status, body)
	}
	updates := likeTotalUpdates(t, watcher, "room-likes")

	viewers := make([]viewer, 4)
	for i := range viewers {
		viewers[i] = newViewer(t, base, key, fmt.Sprintf("liker-%d", i))
		if status, body := viewers[i].post(t, "/standin/groups/room-likes/members", ""); status != 200 {
			t.Fatalf("join: %d %s", status, body)
		}
	}
	var wg sync.WaitGroup
	var total int64
	var mu sync.Mutex
	stop := time.Now().Add(2500 * time.Millisecond)
	for _, v := range viewers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				status, _ := v.post(t, "/standin/groups/room-likes/messages", `{"custom":{"data":"LIKE","description":"","extension":"{\"count\":3}"},"priority":"Low"}`)
				if status == 200 {
					mu.Lock()
					total += 3
					mu.Unlock()
				}
				time.Sleep(20 * time.Millisecond) // a viewer taps a few times a second
			}
		})
	}
	wg.Wait()
	last := time.Now()

	var seen []likeTotalUpdate
	deadline := time.After(10 * interval)
wait:
	for {
		select {
		case u, ok := <-updates:
			if !ok {
				break wait
			}
			seen = append(seen, u)
			if u.total == total {
				break wait
			}
			if u.total > total {
				t.Fatalf("LIKE_TOTAL %d is above the %d likes sent", u.total, total)
			}
		case <-deadline:
			break wait
		}
	}
	if len(seen) == 0 || seen[len(seen)-1].total != total {
		t.Fatalf("LIKE_TOTAL updates %+v never reached the %d likes sent", seen, total)
	}
	if late := seen[len(seen)-1].at.Sub(last); late > interval+500*time.Millisecond {
		t.Errorf("the final total came %s after the last like, want within an interval", late)
	}
	for i := 1; i < len(seen); i++ {
		if gap := seen[i].at.Sub(seen[i-1].at); gap < interval-300*time.Millisecond {
			t.Errorf("updates %d and %d came %s apart, want at most one an interval", i-1, i, gap)
		}
	}
	t.Logf("%d likes, %d updates of LIKE_TOTAL", total, len(seen))
}

// likeTotalUpdate is a change of a room's LIKE_TOTAL as a viewer saw it, and when.
type likeTotalUpdate struct {
	at    time.Time
	total int64
}

// likeTotalUpdates returns the changes of the room's LIKE_TOTAL field on v's event stream. The
// channel closes when the stream ends.
func likeTotalUpdates(t *testing.T, v viewer, roomID string) <-chan likeTotalUpdate {
	t.Helper()
	tips := roomStream(t, v, roomID, standin.TypeGroupTip)
	out := make(chan likeTotalUpdate, 1000)
	go func() {
		defer close(out)
		for m := range tips {
			var tip struct {
				NewGroupProfile struct {
					GroupCustomField []struct{ Key, Value string } `json:"groupCustomField"`
				} `json:"newGroupProfile"`
			}
			_ = json.Unmarshal(m.Payload, &tip)
			for _, f := range tip.NewGroupProfile.GroupCustomField {
				if f.Key == "LIKE_TOTAL" {
					n, _ := strconv.ParseInt(f.Value, 10, 64)
					out <- likeTotalUpdate{time.Now(), n}
				}
			}
		}
	}()
	return out
}
