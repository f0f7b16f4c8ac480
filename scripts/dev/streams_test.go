package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDevServerRunsAStreamFromPushToScheduledEnd gets the anchor's push URL, simulates a push on
// the streaming stand-in (the room goes live for a connected viewer), stops it (the room pauses),
// pushes again, and lets the scheduled end pass: the stream ender drops and forbids the stream,
// announces LIVE_ENDED and ends the room.
func TestDevServerRunsAStreamFromPushToScheduledEnd(t *testing.T) {
	const key = "mk_streams"
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": key, "STREAM_END_INTERVAL": "200ms"})
	auth := map[string]string{"Authorization": "Bearer " + key}
	end := time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339)
	status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-stream","title":"Night sale","anchorId":"anchor-9","scheduledEndAt":"`+end+`"}`, auth)
	if status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	anchor, fan := newViewer(t, base, key, "anchor-9"), newViewer(t, base, key, "fan-1")

	if status, body := fan.post(t, "/v1/rooms/room-stream/push-url", ""); status != 403 || !strings.Contains(string(body), `"forbidden"`) {
		t.Fatalf("a viewer asking for the push URL: %d %s", status, body)
	}
	status, body = anchor.post(t, "/v1/rooms/room-stream/push-url", "")
	var urls struct {
		StreamName string
		Push       struct{ RTMP, WebRTC, SRT string }
		Play       struct{ FLV string }
	}
	if err := json.Unmarshal(body, &urls); status != 200 || err != nil || !strings.Contains(urls.Push.RTMP, "txSecret=") {
		t.Fatalf("push-url: %d %s", status, body)
	}

	// The viewer joins and listens to the room.
	if status, body := fan.post(t, "/standin/groups/room-stream/members", ""); status != 200 {
		t.Fatalf("join: %d %s", status, body)
	}
	events := make(chan string, 256)
	resp, err := http.Get(base + "/standin/groups/room-stream/events?userId=fan-1&userSig=" + url.QueryEscape(fan.sig))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	go func() {
		lines := bufio.NewScanner(resp.Body)
		for lines.Scan() {
			events <- lines.Text()
		}
		close(events)
	}()
	waitFor := func(what string) string {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case line, ok := <-events:
				if !ok {
					t.Fatalf("event stream ended before %s", what)
				}
				if strings.Contains(line, what) {
					return line
				}
			case <-deadline:
				t.Fatalf("no %s reached the viewer", what)
			}
		}
	}
	room := func() (r struct {
		Status string
		Stream struct {
			Pushing   bool
			Since     string
			DroppedAt string
		}
	}) {
		getJSON(t, base+"/v1/rooms/room-stream", key, &r)
		return r
	}

	streams := base + "/standin/streams/" + urls.StreamName
	if status, body := postJSON(t, streams, `{"pushUrl":"`+urls.Push.RTMP+`"}`, nil); status != 200 {
		t.Fatalf("start push: %d %s", status, body)
	}
	waitFor(`"live"`)
	if r := room(); r.Status != "live" || !r.Stream.Pushing || r.Stream.Since == "" {
		t.Fatalf("after the push started: %+v", r)
	}
	if status, body := send(t, "DELETE", streams, "", nil); status != 200 {
		t.Fatalf("stop push: %d %s", status, body)
	}
	waitFor(`"paused"`)
	if r := room(); r.Status != "paused" || r.Stream.Pushing {
		t.Fatalf("after the push stopped: %+v", r)
	}
	if status, body := postJSON(t, streams, `{"pushUrl":"`+urls.Push.SRT+`"}`, nil); status != 200 {
		t.Fatalf("push again over SRT: %d %s", status, body)
	}
	waitFor(`"live"`)

	// The shop reports an order; then the scheduled end passes: the stream is dropped and
	// forbidden, the room ends, and LIVE_ENDED tells the viewers what the room did.
	if status, body := postJSON(t, base+"/v1/rooms/room-stream/purchases", `{"orderId":"o-77","userId":"fan-1","productId":"lamp","quantity":2,"amount":"39.90","currency":"USD"}`, auth); status != 200 {
		t.Fatalf("purchase: %d %s", status, body)
	}
	if ended := waitFor("LIVE_ENDED"); !strings.Contains(ended, `\"orders\":1`) || !strings.Contains(ended, `\"units\":2`) {
		t.Fatalf("LIVE_ENDED %s, want the room's order in its Ext", ended)
	}
	deadline := time.Now().Add(5 * time.Second)
	for room().Status != "ended" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if r := room(); r.Status != "ended" || r.Stream.DroppedAt == "" || r.Stream.Pushing {
		t.Fatalf("after the scheduled end: %+v", r)
	}
	if status, body := postJSON(t, streams, `{"pushUrl":"`+urls.Push.RTMP+`"}`, nil); status != 403 {
		t.Fatalf("a push after the end: %d %s", status, body)
	}
	if status, body := anchor.post(t, "/v1/rooms/room-stream/push-url", ""); status != 409 {
		t.Fatalf("push-url of an ended room: %d %s", status, body)
	}
}

// TestDevServerEndsARoomByHand ends a pushing room with PUT /v1/rooms/{id}/status: the stream is
// dropped and forbidden on the streaming stand-in, and the viewers get LIVE_ENDED with the room's
// gifts and orders.
func TestDevServerEndsARoomByHand(t *testing.T) {
	const key = "mk_end"
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": key})
	auth := map[string]string{"Authorization": "Bearer " + key}
	if status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-end","title":"Last call","anchorId":"anchor-e"}`, auth); status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	anchor, fan := newViewer(t, base, key, "anchor-e"), newViewer(t, base, key, "fan-e")
	status, body := anchor.post(t, "/v1/rooms/room-end/push-url", "")
	var urls struct {
		StreamName string
		Push       struct{ RTMP string }
	}
	if err := json.Unmarshal(body, &urls); status != 200 || err != nil {
		t.Fatalf("push-url: %d %s", status, body)
	}
	if status, body := fan.post(t, "/standin/groups/room-end/members", ""); status != 200 {
		t.Fatalf("join: %d %s", status, body)
	}
	events := roomEvents(t, fan, "room-end")
	streams := base + "/standin/streams/" + urls.StreamName
	if status, body := postJSON(t, streams, `{"pushUrl":"`+urls.Push.RTMP+`"}`, nil); status != 200 {
		t.Fatalf("start push: %d %s", status, body)
	}
	var room struct {
		Status string
		Stream struct {
			Pushing   bool
			DroppedAt string
		}
	}
	for deadline := time.Now().Add(5 * time.Second); room.Status != "live"; time.Sleep(50 * time.Millisecond) {
		getJSON(t, base+"/v1/rooms/room-end", key, &room)
		if time.Now().After(deadline) {
			t.Fatalf("the push did not take the room live: %+v", room)
		}
	}
	// A gift and an order.
	for _, c := range []struct{ path, body, idem string }{
		{"/v1/gifts", `{"giftId":"star","name":"Star","price":25}`, ""},
		{"/v1/users/fan-e/coins", `{"amount":100}`, "top-up-e"},
		{"/v1/rooms/room-end/purchases", `{"orderId":"o-e1","userId":"fan-e","productId":"mug","quantity":3,"amount":"12.00","currency":"EUR"}`, ""},
	} {
		h := map[string]string{"Authorization": "Bearer " + key}
		if c.idem != "" {
			h["Idempotency-Key"] = c.idem
		}
		if status, code := request(t, base, "POST", c.path, c.body, h); status >= 300 {
			t.Fatalf("%s: %d %s", c.path, status, code)
		}
	}
	if status, code := request(t, base, "POST", "/v1/rooms/room-end/gifts", `{"giftId":"star","count":2}`,
		map[string]string{"Authorization": "UserSig " + fan.sig, "X-User-Id": "fan-e", "Idempotency-Key": "g-e1"}); status != 200 {
		t.Fatalf("gift: %d %s", status, code)
	}

	if status, code := request(t, base, "PUT", "/v1/rooms/room-end/status", `{"status":"ended"}`, auth); status != 200 {
		t.Fatalf("end by hand: %d %s", status, code)
	}
	m, p := nextCustom(t, events, "LIVE_ENDED")
	var ext struct {
		Status string
		Gifts  int64
		Coins  int64
		Orders int64
		Units  int64
	}
	if err := json.Unmarshal([]byte(p.Extension), &ext); err != nil || m.From != "administrator" {
		t.Fatalf("LIVE_ENDED %+v %+v", m, p)
	}
	if ext.Status != "ended" || ext.Gifts != 2 || ext.Coins != 50 || ext.Orders != 1 || ext.Units != 3 {
		t.Fatalf("LIVE_ENDED Ext %s, want the 2 gifts (50 coins) and the order of 3 units", p.Extension)
	}
	getJSON(t, base+"/v1/rooms/room-end", key, &room)
	if room.Status != "ended" || room.Stream.DroppedAt == "" || room.Stream.Pushing {
		t.Fatalf("after the end: %+v", room)
	}
	if status, body := postJSON(t, streams, `{"pushUrl":"`+urls.Push.RTMP+`"}`, nil); status != 403 {
		t.Fatalf("a push after the end: %d %s, want it forbidden", status, body)
	}
}
