package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/tim"
)

// BenchmarkPinProductToViewer measures, on the dev server, the time from a merchant's
// POST /v1/rooms/{id}/products to the moment a viewer connected to the room's event stream
// receives the field change, next to the IM call alone (modify_group_base_info through the IM
// client). It reports the median and the 99th percentile of each; ns/op includes a pause that
// keeps the calls under IM's rate limit and means nothing here.
func BenchmarkPinProductToViewer(b *testing.B) {
	const key, secret = "mk_latency", "b0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"
	base := devServer(b, map[string]string{"URIBA_DEV_MERCHANT_KEY": key, "IM_SECRET_KEY": secret})
	auth := map[string]string{"Authorization": "Bearer " + key}
	if status, body := postJSON(b, base+"/v1/rooms", `{"roomId":"room-bench","title":"Bench","anchorId":"anchor-b"}`, auth); status != 201 {
		b.Fatalf("create room: %d %s", status, body)
	}
	v := newViewer(b, base, key, "watcher")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/standin/groups/room-bench/events?userId=watcher&userSig="+url.QueryEscape(v.sig), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 64)
	go func() {
		lines := bufio.NewScanner(resp.Body)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				events <- data
			}
		}
		close(events)
	}()
	waitFor := func(marker string) {
		for {
			select {
			case e, ok := <-events:
				if !ok {
					b.Fatal("the event stream ended")
				}
				if strings.Contains(e, marker) {
					return
				}
			case <-time.After(5 * time.Second):
				b.Fatalf("no event with %s within 5 s", marker)
			}
		}
	}

	im, err := tim.NewClient(tim.ClientConfig{SDKAppID: 1400000001, SecretKey: secret, Admin: "administrator",
		BaseURL: base, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	var endToEnd, imAlone []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		product := fmt.Sprintf("sku-%d", i)
		start := time.Now()
		if status, body := postJSON(b, base+"/v1/rooms/room-bench/products",
			`{"productId":"`+product+`","name":"Tea","price":"1200","currency":"JPY"}`, auth); status != 200 {
			b.Fatalf("pin: %d %s", status, body)
		}
		waitFor(`\"` + product + `\"`)
		endToEnd = append(endToEnd, time.Since(start))

		start = time.Now()
		if err := im.SetGroupField(ctx, "room-bench", "LIKE_TOTAL", fmt.Sprint(i)); err != nil {
			b.Fatal(err)
		}
		imAlone = append(imAlone, time.Since(start))
		waitFor(`"LIKE_TOTAL"`)
		// Two field changes an iteration: stay under IM's 200 calls/s per command, which the
		// stand-in enforces as IM does.
		time.Sleep(11 * time.Millisecond)
	}
	b.StopTimer()
	report := func(d []time.Duration, name string) {
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds()), name+"-p50-µs")
		b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), name+"-p99-µs")
	}
	report(endToEnd, "pin-to-viewer")
	report(imAlone, "im-call")
}
