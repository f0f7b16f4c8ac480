package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTheDemoIsServedAtTheRoot fetches the console and the viewer page as a browser does: the
// pages and their modules, gzipped, with a refusal to run in frames; a missing file is a problem
// document, not a page.
func TestTheDemoIsServedAtTheRoot(t *testing.T) {
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": "mk_demo"})
	for _, c := range []struct{ path, contentType, contains string }{
		{"/", "text/html", "/demo/console.js"},
		{"/demo/viewer.html", "text/html", "viewer.js"},
		{"/demo/console.js", "text/javascript", "sessionStorage"},
		{"/demo/im.js", "text/javascript", "joinGroup"},
		{"/demo/viewer.css", "text/css", ".phone"},
	} {
		resp, err := http.Get(base + c.path) // the transport asks for gzip and unpacks it
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.contentType) || !strings.Contains(string(body), c.contains) {
			t.Errorf("%s: %d %s, %d bytes", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		if !resp.Uncompressed {
			t.Errorf("%s was not sent gzipped", c.path)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", c.path, csp)
		}
	}
	if strings.Contains(mustGet(t, base+"/"), "mk_demo") {
		t.Error("the console's page carries the merchant key")
	}
	resp, err := http.Get(base + "/demo/missing.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("a missing file: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func mustGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestARoomsTimelineShowsItsViewersAndLikes has two viewers join and like, and reads the chart's
// data from the timeline endpoint.
func TestARoomsTimelineShowsItsViewersAndLikes(t *testing.T) {
	const key = "mk_timeline"
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": key, "LIKE_TOTAL_INTERVAL": "200ms"})
	auth := map[string]string{"Authorization": "Bearer " + key}
	if status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"room-tl","title":"Timeline","anchorId":"anchor-5"}`, auth); status != 201 {
		t.Fatalf("create room: %d %s", status, body)
	}
	var empty struct {
		Points []struct{} `json:"points"`
	}
	getJSON(t, base+"/v1/rooms/room-tl/timeline", key, &empty)
	if empty.Points == nil || len(empty.Points) != 0 {
		t.Fatalf("a new room's timeline: %+v, want no points", empty)
	}
	for _, id := range []string{"aki", "bo"} {
		v := newViewer(t, base, key, id)
		if status, body := v.post(t, "/standin/groups/room-tl/members", ""); status != 200 {
			t.Fatalf("join: %d %s", status, body)
		}
		if status, body := v.post(t, "/standin/groups/room-tl/messages", `{"custom":{"data":"LIKE","description":"","extension":"{\"n\":3}"},"priority":"Low"}`); status != 200 {
			t.Fatalf("like: %d %s", status, body)
		}
	}
	var tl struct {
		StepSeconds int64 `json:"stepSeconds"`
		Points      []struct {
			At             time.Time
			Viewers, Likes int64
		} `json:"points"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		getJSON(t, base+"/v1/rooms/room-tl/timeline", key, &tl)
		if n := len(tl.Points); n > 0 && tl.Points[n-1].Likes == 6 && tl.Points[n-1].Viewers == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timeline %+v, want a last point with 2 viewers and 6 likes", tl)
		}
	}
	if tl.StepSeconds != 10 || tl.Points[0].At.IsZero() {
		t.Fatalf("timeline %+v", tl)
	}
	if status, _ := postJSON(t, base+"/v1/rooms/room-none/timeline", "", auth); status != 405 {
		t.Fatalf("POST timeline: %d, want 405", status)
	}
	resp, err := http.Get(base + "/v1/rooms/room-tl/timeline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("the timeline without a merchant key: %d", resp.StatusCode)
	}
}
