package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/function/levelupdater"
	"github.com/uriba-live/uriba/shared/levels"

	"github.com/uriba-live/uriba/shared/standin"
)

// The storms run only when URIBA_MEASURE is set: they load the machine for about half a minute.
func measuring(t *testing.T) {
	if os.Getenv("URIBA_MEASURE") == "" {
		t.Skip("set URIBA_MEASURE=1 to measure")
	}
}

// TestMeasureAGiftStorm sends 2,000 gifts from 200 viewers within 10 s into one room of the dev
// server and reports the gift messages IM received each second, the gifts billed against those
// accepted, and the coins before and after.
func TestMeasureAGiftStorm(t *testing.T) {
	measuring(t)
	const key, viewers, perViewer, topUp, price = "mk_storm", 200, 10, 1000, 7
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": key, "URIBA_LOG_LEVEL": "error", "GIFT_RECONCILE_AFTER": "20s"})
	merchant := map[string]string{"Authorization": "Bearer " + key}
	if status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-storm","title":"Storm","anchorId":"anchor-s"}`, merchant); status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	if status, code := request(t, base, "PUT", "/v1/rooms/room-storm/status", `{"status":"live"}`, merchant); status != 200 {
		t.Fatalf("go live: %d %s", status, code)
	}
	if status, body := postJSON(t, base+"/v1/gifts", fmt.Sprintf(`{"giftId":"heart","name":"Heart","price":%d}`, price), merchant); status != 201 {
		t.Fatalf("add gift: %d %s", status, body)
	}
	watcher := newViewer(t, base, key, "storm-watcher")
	if status, body := watcher.post(t, "/standin/groups/room-storm/members", ""); status != 200 {
		t.Fatalf("join: %d %s", status, body)
	}
	events := roomEvents(t, watcher, "room-storm")
	senders := make([]viewer, viewers)
	for i := range senders {
		time.Sleep(15 * time.Millisecond) // IM imports at most 100 accounts a second
		senders[i] = newViewer(t, base, key, fmt.Sprintf("storm-%03d", i))
		h := map[string]string{"Authorization": "Bearer " + key, "Idempotency-Key": "top-up-" + senders[i].id}
		if status, code := request(t, base, "POST", "/v1/users/"+senders[i].id+"/coins", fmt.Sprintf(`{"amount":%d}`, topUp), h); status != 200 {
			t.Fatalf("top up: %d %s", status, code)
		}
	}

	// Each viewer sends a gift a second for 10 s, the viewers spread over the second.
	var accepted atomic.Int64
	var mu sync.Mutex
	refused := map[string]int{}
	start := time.Now().Truncate(time.Second).Add(time.Second)
	var wg sync.WaitGroup
	for i, v := range senders {
		wg.Go(func() {
			for n := range perViewer {
				time.Sleep(time.Until(start.Add(time.Duration(n)*time.Second + time.Duration(i)*time.Second/viewers)))
				status, code := request(t, base, "POST", "/v1/rooms/room-storm/gifts", `{"giftId":"heart","count":1}`,
					map[string]string{"Authorization": "UserSig " + v.sig, "X-User-Id": v.id, "Idempotency-Key": fmt.Sprint("g", n)})
				if status == 200 {
					accepted.Add(1)
				} else {
					mu.Lock()
					refused[fmt.Sprint(status, " ", code)]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)

	// What the room showed: SEND_GIFT messages a second, and the gifts they carried.
	perSecond, levelUps := map[int64]int{}, map[int64]int{}
	var shown int64
	tally := func(m standin.ClientMessage) {
		var p standin.CustomPayload
		if json.Unmarshal(m.Payload, &p) == nil && p.Data == "LEVEL_UP" {
			levelUps[m.Time]++
		}
		if json.Unmarshal(m.Payload, &p) != nil || p.Data != "SEND_GIFT" {
			return
		}
		perSecond[m.Time]++
		var ext struct {
			Merged bool
			Count  int64
			Gifts  []struct{ Count int64 }
		}
		_ = json.Unmarshal([]byte(p.Extension), &ext)
		if !ext.Merged {
			shown += ext.Count
		}
		for _, g := range ext.Gifts {
			shown += g.Count
		}
	}
	// Gifts whose request failed halfway, and merged gifts still queued, are settled by the level
	// updater's sweep, which the dev server runs every minute: two periods make sure one ran
	// after the storm.
	settle := time.After(2*levelupdater.SweepEvery + 5*time.Second)
wait:
	for shown < accepted.Load() {
		select {
		case m := <-events:
			tally(m)
		case <-settle:
			break wait
		}
	}
	t.Logf("%d of %d accepted gifts shown %v after the storm's last request", shown, accepted.Load(), (time.Since(start) - took).Round(10*time.Millisecond))
	closer := senders[0]
	if status, code := request(t, base, "POST", "/v1/rooms/room-storm/gifts", `{"giftId":"heart","count":1}`,
		map[string]string{"Authorization": "UserSig " + closer.sig, "X-User-Id": closer.id, "Idempotency-Key": "last"}); status == 200 {
		accepted.Add(1)
	} else {
		t.Logf("the last gift: %d %s", status, code)
	}
	quiet := time.After(5 * time.Second)
collect:
	for {
		select {
		case m := <-events:
			tally(m)
			quiet = time.After(3 * time.Second)
		case <-quiet:
			break collect
		}
	}
	peak := 0
	for _, n := range perSecond {
		peak = max(peak, n)
	}
	var summary struct{ Gifts, Coins int64 }
	getJSON(t, base+"/v1/rooms/room-storm/summary", key, &summary)
	var balances int64
	for _, v := range senders {
		var b struct{ Balance int64 }
		getJSON(t, base+"/v1/users/"+v.id+"/coins", key, &b)
		balances += b.Balance
	}
	t.Logf("%d gifts sent in %v: %d accepted (with one more after the storm), refused %v; %d billed in the room (%d coins); %d shown to a viewer",
		viewers*perViewer, took.Round(time.Millisecond), accepted.Load(), refused, summary.Gifts, summary.Coins, shown)
	t.Logf("SEND_GIFT messages into the room: %d seconds with messages, at most %d in one second (GIFT_MESSAGES_PER_SECOND 10); per second %v",
		len(perSecond), peak, perSecond)
	t.Logf("LEVEL_UP messages the viewer saw, per second: %v", levelUps)
	for sec, n := range levelUps {
		if n > levels.DefaultLevelUpsPerSecond {
			t.Errorf("%d LEVEL_UP messages in second %d, above the budget of %d", n, sec, levels.DefaultLevelUpsPerSecond)
		}
	}
	t.Logf("coins: balances %d + billed %d = %d, topped up %d", balances, summary.Coins, balances+summary.Coins, viewers*topUp)
	if peak > 10 {
		t.Errorf("%d gift messages in one second, above the budget of 10", peak)
	}
	// A gift whose request failed halfway may still be finished and billed: never fewer billed
	// than accepted, and every billed gift shown once.
	if summary.Gifts < accepted.Load() || shown != summary.Gifts {
		t.Errorf("%d accepted, %d billed, %d shown", accepted.Load(), summary.Gifts, shown)
	}
	if balances+summary.Coins != viewers*topUp {
		t.Errorf("coins not conserved: %d + %d != %d", balances, summary.Coins, viewers*topUp)
	}
}

// TestMeasureALikeStorm sends 50,000 likes (5,000 messages of 10) from 100 viewers within 10 s
// into one room, with likes absorbed, and reports the LIKE_TOTAL updates a watching viewer sees.
func TestMeasureALikeStorm(t *testing.T) {
	measuring(t)
	const key, viewers, perViewer, perMessage = "mk_likestorm", 100, 50, 10
	const interval = 3 * time.Second
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": key, "URIBA_LOG_LEVEL": "error", "LIKE_MODE": "absorb", "LIKE_TOTAL_INTERVAL": interval.String()})
	if status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-likestorm","title":"Likes","anchorId":"anchor-l"}`, map[string]string{"Authorization": "Bearer " + key}); status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	watcher := newViewer(t, base, key, "like-watcher")
	if status, body := watcher.post(t, "/standin/groups/room-likestorm/members", ""); status != 200 {
		t.Fatalf("join: %d %s", status, body)
	}
	updates := likeTotalUpdates(t, watcher, "room-likestorm")
	likers := make([]viewer, viewers)
	for i := range likers {
		time.Sleep(15 * time.Millisecond) // IM imports at most 100 accounts a second
		likers[i] = newViewer(t, base, key, fmt.Sprintf("liker-%03d", i))
		if status, body := likers[i].post(t, "/standin/groups/room-likestorm/members", ""); status != 200 {
			t.Fatalf("join: %d %s", status, body)
		}
	}
	var sent, refused atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	body := fmt.Sprintf(`{"custom":{"data":"LIKE","description":"","extension":"{\"count\":%d}"},"priority":"Low"}`, perMessage)
	for i, v := range likers {
		wg.Go(func() {
			for n := range perViewer {
				time.Sleep(time.Until(start.Add(time.Duration(n)*200*time.Millisecond + time.Duration(i)*2*time.Millisecond)))
				if status, _ := v.post(t, "/standin/groups/room-likestorm/messages", body); status == 200 {
					sent.Add(perMessage)
				} else {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	last := time.Now()
	var seen []likeTotalUpdate
	deadline := time.After(2*interval + 2*time.Second)
wait:
	for {
		select {
		case u, ok := <-updates:
			if !ok {
				t.Log("the watcher's event stream ended early (the stand-in drops a stream that lags too far behind)")
				break wait
			}
			seen = append(seen, u)
			if u.total == sent.Load() {
				break wait
			}
		case <-deadline:
			break wait
		}
	}
	// What a viewer who joins now reads: the group profile's field.
	var profile struct {
		Fields []struct{ Key, Value string } `json:"groupCustomField"`
	}
	for deadline := time.Now().Add(2 * interval); ; time.Sleep(100 * time.Millisecond) {
		getJSON(t, base+"/standin/groups/room-likestorm?userId=like-watcher&userSig="+url.QueryEscape(watcher.sig), "", &profile)
		if slices.Contains(profile.Fields, struct{ Key, Value string }{"LIKE_TOTAL", strconv.FormatInt(sent.Load(), 10)}) || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("the group profile's fields: %v", profile.Fields)
	minGap := time.Duration(1 << 62)
	for i := 1; i < len(seen); i++ {
		minGap = min(minGap, seen[i].at.Sub(seen[i-1].at))
	}
	var final int64
	if len(seen) > 0 {
		final = seen[len(seen)-1].total
	}
	t.Logf("%d likes in %d messages sent in %v (%d messages refused); %d LIKE_TOTAL updates, closest two %v apart (interval %v); final total %d, %v after the last like",
		sent.Load(), sent.Load()/perMessage, last.Sub(start).Round(time.Millisecond), refused.Load(), len(seen), minGap.Round(time.Millisecond), interval, final,
		func() time.Duration {
			if len(seen) == 0 {
				return 0
			}
			return seen[len(seen)-1].at.Sub(last).Round(time.Millisecond)
		}())
	if !slices.Contains(profile.Fields, struct{ Key, Value string }{"LIKE_TOTAL", strconv.FormatInt(sent.Load(), 10)}) {
		t.Errorf("LIKE_TOTAL in the group profile is not the %d likes sent (the stream's last was %d)", sent.Load(), final)
	}
	if len(seen) > 1 && minGap < interval-300*time.Millisecond {
		t.Errorf("two LIKE_TOTAL updates %v apart, want at most one an interval", minGap)
	}
}
