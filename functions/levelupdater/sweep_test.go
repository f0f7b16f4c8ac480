package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/function/levelupdater"
	"github.com/uriba-live/uriba/shared/function/productpublisher"
	"github.com/uriba-live/uriba/shared/gifts"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/store/bolt"
	"github.com/uriba-live/uriba/shared/tim"
)

// TestAScheduleSweepsTheGiftsNoRequestWillSettle leaves a merged gift queued in a live room, as a
// storm's last gifts are, and delivers a schedule event on both clouds: the first sweep announces
// the gift in the room, the second finds nothing left.
func TestAScheduleSweepsTheGiftsNoRequestWillSettle(t *testing.T) {
	env := functiontest.New(t)
	rooms, release, err := functiontest.Try(productpublisher.Definition, env.Getenv, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ method, target, body string }{
		{"POST", "/v1/rooms", `{"roomId":"sweep-room","title":"Sweep","anchorId":"anchor-9"}`},
		{"PUT", "/v1/rooms/sweep-room/status", `{"status":"live"}`},
	} {
		req := httptest.NewRequest(step.method, step.target, strings.NewReader(step.body))
		req.Header.Set("Authorization", "Bearer "+functiontest.MerchantKey)
		rec := httptest.NewRecorder()
		rooms.HTTP.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", step.method, step.target, rec.Code, rec.Body)
		}
	}
	release()
	db, err := bolt.Open(strings.TrimPrefix(env.Vars["STORE"], "bolt:"))
	if err != nil {
		t.Fatal(err)
	}
	// The gift's record says queued, and its pending entry holds it in the merge queue.
	const mark = "giftpending/sweep-room/000000000001.q1"
	record := `{"state":"queued","roomId":"sweep-room","userId":"mei","gift":{"giftId":"rose","name":"Rose","price":30},"count":2,"coins":60,"combo":1,"queue":"` + mark + `"}`
	queued := `{"op":"q1","userId":"mei","gift":{"giftId":"rose","name":"Rose","price":30},"count":2,"combo":1}`
	for key, value := range map[string]string{"giftop/sweep-room/q1": record, mark: queued} {
		if err := db.Put(context.Background(), key, []byte(value), 0); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()

	fn := env.Build(t, levelupdater.Definition)
	if fn.Schedule != levelupdater.SweepEvery {
		t.Fatalf("schedule %v, want the sweep's %v", fn.Schedule, levelupdater.SweepEvery)
	}
	timer, err := os.ReadFile("../../shared/platform/testdata/scf-timer-event.json")
	if err != nil {
		t.Fatal(err)
	}
	scheduler := json.RawMessage(`{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.scheduler","detail":"{}"}`)
	sweep := func(h platform.EventHandler, event json.RawMessage) gifts.Swept {
		out, err := h(context.Background(), event)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(out)
		var s gifts.Swept
		_ = json.Unmarshal(raw, &s)
		return s
	}
	if got := sweep(platform.SCFHandler(fn), timer); got.Rooms != 1 || got.Announced != 1 || len(got.Failed) != 0 {
		t.Fatalf("SCF timer sweep %+v, want one room and one gift announced", got)
	}
	if got := sweep(platform.LambdaHandler(fn), scheduler); got.Rooms != 1 || got.Announced != 0 {
		t.Fatalf("EventBridge sweep %+v, want nothing left", got)
	}
	shown := 0
	for _, m := range env.IM.Messages("sweep-room") {
		var c tim.CustomContent
		if m.Body[0].MsgType == tim.ElemCustom && json.Unmarshal(m.Body[0].MsgContent, &c) == nil && strings.Contains(c.Ext, `"merged":true`) {
			shown++
		}
	}
	if shown != 1 {
		t.Fatalf("%d merged gift messages in the room, want 1", shown)
	}
}
