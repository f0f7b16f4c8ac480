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
	waitFor := func(what string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case line, ok := <-events:
				if !ok {
					t.Fatalf("event stream ended before %s", what)
				}
				if strings.Contains(line, what) {
					return
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
	req, _ := http.NewRequest("DELETE", streams, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("stop push: %v %v", err, resp)
	}
	waitFor(`"paused"`)
	if r := room(); r.Status != "paused" || r.Stream.Pushing {
		t.Fatalf("after the push stopped: %+v", r)
	}
	if status, body := postJSON(t, streams, `{"pushUrl":"`+urls.Push.SRT+`"}`, nil); status != 200 {
		t.Fatalf("push again over SRT: %d %s", status, body)
	}
	waitFor(`"live"`)

	// The scheduled end passes: the stream is dropped and forbidden, the room ends.
	waitFor("LIVE_ENDED")
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
