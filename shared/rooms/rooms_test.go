package rooms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/rooms/roomstest"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store/bolt"
	"github.com/uriba-live/uriba/shared/tim"
)

var ctx = context.Background()

var (
	_ rooms.IM    = (*tim.Client)(nil)
	_ rooms.KV    = (*bolt.Store)(nil)
	_ rooms.Stats = (*roomstats.Stats)(nil)
)

func product(id string) live.Product {
	stock := int64(30)
	return live.Product{ProductID: id, Name: "抹茶ラテ 200g", Price: "1980", Currency: "JPY",
		ImageURL: "https://img.example.com/" + id + ".png", URL: "https://shop.example.com/p/" + id, Stock: &stock}
}

func create(t *testing.T, h *roomstest.Harness, id string) live.Room {
	t.Helper()
	r, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: id, Title: "Spring sale", AnchorID: "anchor_1"})
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	return r
}

func wantCalls(t *testing.T, h *roomstest.Harness, want ...string) {
	t.Helper()
	if got := h.Counter.Calls(); !slices.Equal(got, want) {
		t.Fatalf("IM calls %q, want %q", got, want)
	}
	h.Counter.Reset()
}

func stored(t *testing.T, h *roomstest.Harness, id string) live.Room {
	t.Helper()
	v, err := h.Service.Get(ctx, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return v.Room
}

func TestCreateMakesTheGroupWithStatusCreated(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	start := time.Date(2025, 5, 2, 19, 0, 0, 0, time.FixedZone("JST", 9*3600))
	end := start.Add(2 * time.Hour)
	r, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "spring-sale", Title: "春のセール", AnchorID: "anchor_1",
		Introduction: "New teas every hour.", ScheduledStartAt: &start, ScheduledEndAt: &end})
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h, roomstest.CallImport, roomstest.CallCreate)
	if r.ID != "spring-sale" || r.Status != live.StatusCreated || r.StreamName != live.StreamName("spring-sale") ||
		!r.CreatedAt.Equal(h.Clock.Now()) || !r.ScheduledEndAt.Equal(end) || r.ScheduledEndAt.Location() != time.UTC {
		t.Fatalf("room %+v", r)
	}
	g, ok := h.IM.Group("spring-sale")
	if !ok {
		t.Fatal("no IM group")
	}
	if g.Name != "春のセール" || g.Owner != "anchor_1" || g.Introduction != "New teas every hour." ||
		!maps.Equal(g.Fields, map[string]string{"room_status": "created"}) {
		t.Fatalf("group %+v", g)
	}
	if got := stored(t, h, "spring-sale"); got.Title != r.Title || got.Status != live.StatusCreated {
		t.Fatalf("stored %+v", got)
	}
	page, err := h.Service.List(ctx, rooms.ListParams{Status: live.StatusCreated})
	if err != nil || len(page.Rooms) != 1 || page.Rooms[0].ID != "spring-sale" {
		t.Fatalf("list created: %+v %v", page, err)
	}
}

func TestCreateGeneratesAnID(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	a := create(t, h, "")
	h.Clock.Advance(time.Millisecond)
	b := create(t, h, "")
	if !strings.HasPrefix(a.ID, "room_") || live.ValidateRoomID(a.ID) != nil || a.ID >= b.ID {
		t.Fatalf("generated IDs %q, %q", a.ID, b.ID)
	}
	if _, ok := h.IM.Group(a.ID); !ok {
		t.Fatal("no group for the generated ID")
	}
}

func TestStatusChangeSetsOneFieldThatViewersSee(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	create(t, h, "r1")
	viewer := h.Subscribe("r1", "viewer_1")
	h.Counter.Reset()

	h.Clock.Advance(time.Minute)
	r, err := h.Service.SetStatus(ctx, "r1", live.StatusLive)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h, "set_field room_status")
	tip := viewer.ProfileTip(t)
	change := tip.NewGroupProfile
	if len(change.GroupCustomField) != 1 || change.GroupCustomField[0].Key != "room_status" || change.GroupCustomField[0].Value != "live" ||
		change.Name != nil || change.Notification != nil || change.Introduction != nil {
		t.Fatalf("tip %+v", tip)
	}
	if g, _ := h.IM.Group("r1"); g.Fields["room_status"] != "live" {
		t.Fatalf("fields %v", g.Fields)
	}
	if r.Status != live.StatusLive || r.StartedAt == nil || !r.StartedAt.Equal(h.Clock.Now()) {
		t.Fatalf("room %+v", r)
	}
	if got := stored(t, h, "r1"); got.Status != live.StatusLive {
		t.Fatalf("stored status %s", got.Status)
	}

	// The same status again changes nothing and calls nothing.
	if r, err := h.Service.SetStatus(ctx, "r1", live.StatusLive); err != nil || r.Status != live.StatusLive {
		t.Fatalf("live again: %v", err)
	}
	wantCalls(t, h)
	viewer.Quiet(t, 100*time.Millisecond)

	for _, to := range []live.RoomStatus{live.StatusPaused, live.StatusLive, live.StatusEnded} {
		h.Clock.Advance(time.Minute)
		if _, err := h.Service.SetStatus(ctx, "r1", to); err != nil {
			t.Fatal(err)
		}
		wantCalls(t, h, "set_field room_status")
		if tip := viewer.ProfileTip(t); tip.NewGroupProfile.GroupCustomField[0].Value != string(to) {
			t.Fatalf("tip for %s: %+v", to, tip)
		}
	}
	r = stored(t, h, "r1")
	if r.EndedAt == nil || !r.EndedAt.Equal(h.Clock.Now()) {
		t.Fatalf("EndedAt %v", r.EndedAt)
	}
	for _, s := range live.RoomStatuses {
		page, err := h.Service.List(ctx, rooms.ListParams{Status: s})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[s == live.StatusEnded]; len(page.Rooms) != want {
			t.Fatalf("list %s: %d rooms, want %d", s, len(page.Rooms), want)
		}
	}
	// Only the ended index entry is left.
	var index []string
	for k := range h.Memory.Snapshot() {
		if strings.HasPrefix(k, "rooms/status/") {
			index = append(index, k)
		}
	}
	if !slices.Equal(index, []string{"rooms/status/ended/r1"}) {
		t.Fatalf("status index %v", index)
	}
}

func TestPinnedProductReachesLateJoiners(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	create(t, h, "r1")
	h.Counter.Reset()
	p := product("sku-1")
	want, err := p.FieldValue()
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.Service.PinProduct(ctx, "r1", p)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h, "set_field ADD_GOODS")
	if g, _ := h.IM.Group("r1"); g.Fields["ADD_GOODS"] != want {
		t.Fatalf("ADD_GOODS = %q, want %q", g.Fields["ADD_GOODS"], want)
	}
	if r.Product == nil || r.Product.ProductID != "sku-1" || r.ProductsPinned != 1 {
		t.Fatalf("room %+v", r)
	}
	if h := stored(t, h, "r1").Products; len(h) != 1 || h[0].Product.ProductID != "sku-1" || h[0].UnpinnedAt != nil {
		t.Fatalf("history %+v", h)
	}

	// A viewer who joins afterwards reads the product from the group profile.
	profile := h.GroupProfile("r1", "late_joiner")
	found := false
	for _, f := range profile.GroupCustomField {
		if f.Key == "ADD_GOODS" {
			found = f.Value == want
		}
	}
	if !found {
		t.Fatalf("late joiner reads %+v", profile.GroupCustomField)
	}

	// A second product replaces the first; the history keeps both.
	viewer := h.Subscribe("r1", "viewer_1")
	h.Clock.Advance(time.Minute)
	if _, err := h.Service.PinProduct(ctx, "r1", product("sku-2")); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h, "set_field ADD_GOODS")
	tip := viewer.ProfileTip(t)
	if f := tip.NewGroupProfile.GroupCustomField; len(f) != 1 || f[0].Key != "ADD_GOODS" || !strings.Contains(f[0].Value, `"sku-2"`) {
		t.Fatalf("tip %+v", tip)
	}

	// Unpinning deletes the field.
	r, err = h.Service.UnpinProduct(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h, "set_field ADD_GOODS")
	if g, _ := h.IM.Group("r1"); g.Fields["ADD_GOODS"] != "" {
		t.Fatalf("ADD_GOODS still %q", g.Fields["ADD_GOODS"])
	}
	if tip := viewer.ProfileTip(t); tip.NewGroupProfile.GroupCustomField[0].Value != "" {
		t.Fatalf("unpin tip %+v", tip)
	}
	if r.Product != nil || r.ProductsPinned != 2 {
		t.Fatalf("room after unpin %+v", r)
	}
	hist := stored(t, h, "r1").Products
	if len(hist) != 2 || hist[0].Product.ProductID != "sku-1" || hist[1].Product.ProductID != "sku-2" ||
		!hist[0].UnpinnedAt.Equal(h.Clock.Now()) || !hist[1].UnpinnedAt.Equal(h.Clock.Now()) || !hist[1].PinnedAt.Equal(h.Clock.Now()) {
		t.Fatalf("history after unpin %+v", hist)
	}
	// Unpinning again calls nothing.
	if _, err := h.Service.UnpinProduct(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h)
}

func TestNoticeIsTheGroupNotification(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	create(t, h, "r1")
	viewer := h.Subscribe("r1", "viewer_1")
	h.Counter.Reset()
	notice := "20% off everything until 21:00 🍵\nFree shipping over ¥5000."
	r, err := h.Service.SetNotice(ctx, "r1", notice)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h, roomstest.CallNotification)
	if g, _ := h.IM.Group("r1"); g.Notification != notice || r.Notice != notice {
		t.Fatalf("notification %q, room notice %q", g.Notification, r.Notice)
	}
	tip := viewer.ProfileTip(t)
	if tip.NewGroupProfile.Notification == nil || *tip.NewGroupProfile.Notification != notice || len(tip.NewGroupProfile.GroupCustomField) != 0 {
		t.Fatalf("tip %+v", tip)
	}
	if _, err := h.Service.SetNotice(ctx, "r1", notice); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h)
}

// TestBadInputChangesNothing sends each kind of bad input and checks its code, and that neither
// IM nor the store changed.
func TestBadInputChangesNothing(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	create(t, h, "open")
	create(t, h, "ended")
	if _, err := h.Service.SetStatus(ctx, "ended", live.StatusEnded); err != nil {
		t.Fatal(err)
	}
	// A group that IM has but the store does not.
	if _, err := h.Client.CreateGroup(ctx, tim.CreateGroupRequest{GroupID: "im-only", Name: "x"}); err != nil {
		t.Fatal(err)
	}
	huge := product("sku-huge")
	huge.URL = "https://shop.example.com/p/" + strings.Repeat("x", 400)
	excess := encodedLen(t, huge) - live.MaxProductFieldBytes
	negative := product("sku-neg")
	negative.Price = "-100"
	yen := product("sku-yen")
	yen.Currency = "yen"
	badName := product("sku-utf8")
	badName.Name = "bad \xff"

	cases := []struct {
		name      string
		run       func() error
		code      string
		message   string // a part of the message, when it matters
		imCalls   []string
		imChanged bool
	}{
		{"unknown room", func() error { _, err := h.Service.SetStatus(ctx, "nope", live.StatusLive); return err }, live.ENotFound, "nope", nil, false},
		{"unknown room get", func() error { _, err := h.Service.Get(ctx, "nope"); return err }, live.ENotFound, "", nil, false},
		{"unknown room pin", func() error { _, err := h.Service.PinProduct(ctx, "nope", product("a")); return err }, live.ENotFound, "", nil, false},
		{"title of 31 bytes", func() error {
			_, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "new", Title: strings.Repeat("t", 31), AnchorID: "a"})
			return err
		}, live.EInvalid, "31 bytes", nil, false},
		{"room ID starting with @TGS#", func() error {
			_, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "@TGS#abc", Title: "t", AnchorID: "a"})
			return err
		}, live.EInvalid, "@TGS#", nil, false},
		{"anchor ID of 33 bytes", func() error {
			_, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "new", Title: "t", AnchorID: strings.Repeat("a", 33)})
			return err
		}, live.EInvalid, "anchorId", nil, false},
		{"end before start", func() error {
			s := time.Now()
			e := s.Add(-time.Hour)
			_, err := h.Service.Create(ctx, rooms.CreateParams{Title: "t", AnchorID: "a", ScheduledStartAt: &s, ScheduledEndAt: &e})
			return err
		}, live.EInvalid, "scheduledEndAt", nil, false},
		{"room ID taken in the store", func() error {
			_, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "open", Title: "t", AnchorID: "a"})
			return err
		}, live.EConflict, "in use", nil, false},
		{"room ID taken in IM", func() error {
			_, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "im-only", Title: "t", AnchorID: "a"})
			return err
		}, live.EConflict, "in use", []string{roomstest.CallImport, roomstest.CallCreate}, false},
		{"notice of 301 bytes", func() error { _, err := h.Service.SetNotice(ctx, "open", strings.Repeat("n", 301)); return err }, live.EInvalid, "301 bytes", nil, false},
		{"notice not UTF-8", func() error { _, err := h.Service.SetNotice(ctx, "open", "caf\xe9"); return err }, live.EInvalid, "UTF-8", nil, false},
		{"product over 512 bytes", func() error { _, err := h.Service.PinProduct(ctx, "open", huge); return err }, live.EUnprocessable, fmt.Sprintf("%d more than the 512", excess), nil, false},
		{"negative price", func() error { _, err := h.Service.PinProduct(ctx, "open", negative); return err }, live.EInvalid, "negative", nil, false},
		{"currency yen", func() error { _, err := h.Service.PinProduct(ctx, "open", yen); return err }, live.EInvalid, "ISO 4217", nil, false},
		{"product name not UTF-8", func() error { _, err := h.Service.PinProduct(ctx, "open", badName); return err }, live.EInvalid, "UTF-8", nil, false},
		{"ended to live", func() error { _, err := h.Service.SetStatus(ctx, "ended", live.StatusLive); return err }, live.EConflict, "ended", nil, false},
		{"created to paused", func() error { _, err := h.Service.SetStatus(ctx, "open", live.StatusPaused); return err }, live.EConflict, "", nil, false},
		{"unknown status", func() error { _, err := h.Service.SetStatus(ctx, "open", "closed"); return err }, live.EInvalid, "", nil, false},
		{"pin on an ended room", func() error { _, err := h.Service.PinProduct(ctx, "ended", product("a")); return err }, live.EConflict, "ended", nil, false},
		{"unpin on an ended room", func() error { _, err := h.Service.UnpinProduct(ctx, "ended"); return err }, live.EConflict, "ended", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := h.Memory.Snapshot()
			groups := groupsSnapshot(h, "open", "ended", "im-only", "new")
			h.Counter.Reset()
			err := c.run()
			if live.ErrorCode(err) != c.code {
				t.Fatalf("error %v, want code %s", err, c.code)
			}
			if msg := live.ErrorMessage(err); !strings.Contains(msg, c.message) {
				t.Fatalf("message %q does not mention %q", msg, c.message)
			}
			wantCalls(t, h, c.imCalls...)
			if after := h.Memory.Snapshot(); !maps.Equal(before, after) {
				t.Fatalf("the store changed:\n before %v\n after  %v", before, after)
			}
			if after := groupsSnapshot(h, "open", "ended", "im-only", "new"); after != groups {
				t.Fatalf("IM changed:\n before %s\n after  %s", groups, after)
			}
		})
	}
}

// encodedLen returns the length of p's compact encoding, measured apart from FieldValue.
func encodedLen(t *testing.T, p live.Product) int {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	return buf.Len() - 1
}

func groupsSnapshot(h *roomstest.Harness, ids ...string) string {
	var b strings.Builder
	for _, id := range ids {
		g, ok := h.IM.Group(id)
		fmt.Fprintf(&b, "%s:%v:%q:%q:%v ", id, ok, g.Name, g.Notification, g.Fields)
	}
	return b.String()
}

var errIMDown = &tim.Error{Call: tim.CallCreateGroup, Kind: tim.KindUnavailable, Detail: "connection refused"}

func TestIMFailureDuringCreateStoresNothing(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	h.Counter.FailWith(roomstest.CallCreate, errIMDown)
	_, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "r1", Title: "t", AnchorID: "a"})
	if live.ErrorCode(err) != live.EIMUnavailable {
		t.Fatalf("error %v", err)
	}
	if snap := h.Memory.Snapshot(); len(snap) != 0 {
		t.Fatalf("stored %v", snap)
	}
	if _, ok := h.IM.Group("r1"); ok {
		t.Fatal("group exists")
	}
}

func TestStoreFailureAfterCreateDestroysTheGroup(t *testing.T) {
	for _, op := range []string{"PutIfAbsent", "Put"} {
		t.Run(op, func(t *testing.T) {
			h := roomstest.New(t, roomstest.Options{})
			h.Memory.SetFaults(func(o, key string) error {
				if o == op && strings.HasPrefix(key, "rooms/") {
					return errors.New("disk full")
				}
				return nil
			})
			_, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "r1", Title: "t", AnchorID: "a"})
			if err == nil {
				t.Fatal("created")
			}
			wantCalls(t, h, roomstest.CallImport, roomstest.CallCreate, roomstest.CallDestroy)
			if _, ok := h.IM.Group("r1"); ok {
				t.Fatal("the group was left behind")
			}
			if snap := h.Memory.Snapshot(); len(snap) != 0 {
				t.Fatalf("stored %v", snap)
			}
		})
	}
}

func TestIMFailureDuringAChangeLeavesTheStore(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	create(t, h, "r1")
	before := h.Memory.Snapshot()
	h.Counter.FailWith("set_field room_status", errIMDown)
	h.Counter.FailWith("set_field ADD_GOODS", errIMDown)
	h.Counter.FailWith(roomstest.CallNotification, errIMDown)
	for name, f := range map[string]func() error{
		"status": func() error { _, err := h.Service.SetStatus(ctx, "r1", live.StatusLive); return err },
		"pin":    func() error { _, err := h.Service.PinProduct(ctx, "r1", product("a")); return err },
		"notice": func() error { _, err := h.Service.SetNotice(ctx, "r1", "hello"); return err },
	} {
		if err := f(); live.ErrorCode(err) != live.EIMUnavailable {
			t.Fatalf("%s: %v", name, err)
		}
		if after := h.Memory.Snapshot(); !maps.Equal(before, after) {
			t.Fatalf("%s: the store changed: %v", name, after)
		}
	}
}

func TestStoreFailureAfterAChangeRevertsIM(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	create(t, h, "r1")
	if _, err := h.Service.SetNotice(ctx, "r1", "before"); err != nil {
		t.Fatal(err)
	}
	h.Memory.SetFaults(func(op, key string) error {
		if op == "CompareAndSwap" {
			return errors.New("throttled")
		}
		return nil
	})
	h.Counter.Reset()
	if _, err := h.Service.SetStatus(ctx, "r1", live.StatusLive); err == nil {
		t.Fatal("no error")
	}
	wantCalls(t, h, "set_field room_status", "set_field room_status")
	if _, err := h.Service.SetNotice(ctx, "r1", "after"); err == nil {
		t.Fatal("no error")
	}
	wantCalls(t, h, roomstest.CallNotification, roomstest.CallNotification)
	if _, err := h.Service.PinProduct(ctx, "r1", product("a")); err == nil {
		t.Fatal("no error")
	}
	g, _ := h.IM.Group("r1")
	if g.Fields["room_status"] != "created" || g.Notification != "before" || g.Fields["ADD_GOODS"] != "" {
		t.Fatalf("IM was not reverted: %+v", g)
	}
	h.Memory.SetFaults(nil)
	if r := stored(t, h, "r1"); r.Status != live.StatusCreated || r.Notice != "before" || r.Product != nil {
		t.Fatalf("stored %+v", r)
	}
	// No index entry for the status that was not reached.
	if page, _ := h.Service.List(ctx, rooms.ListParams{Status: live.StatusLive}); len(page.Rooms) != 0 {
		t.Fatalf("listed as live: %+v", page.Rooms)
	}
}

// TestConcurrentChangesKeepIMAndTheStoreInAgreement pins many products and toggles the status
// at once; afterwards IM shows exactly what the store holds.
func TestConcurrentChangesKeepIMAndTheStoreInAgreement(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{Config: rooms.Config{LeaseWait: 20 * time.Second}})
	create(t, h, "r1")
	if _, err := h.Service.SetStatus(ctx, "r1", live.StatusLive); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := h.Service.PinProduct(ctx, "r1", product(fmt.Sprintf("sku-%d", i)))
			errs <- err
		}()
		go func() {
			defer wg.Done()
			to := live.StatusPaused
			if i%2 == 1 {
				to = live.StatusLive
			}
			_, err := h.Service.SetStatus(ctx, "r1", to)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := stored(t, h, "r1")
	g, _ := h.IM.Group("r1")
	want, _ := r.Product.FieldValue()
	if g.Fields["ADD_GOODS"] != want || g.Fields["room_status"] != string(r.Status) {
		t.Fatalf("IM %v, store status %s product %s", g.Fields, r.Status, want)
	}
	if r.ProductsPinned != 20 || len(r.Products) != 20 {
		t.Fatalf("%d pins, %d in history", r.ProductsPinned, len(r.Products))
	}
}

func TestLeaseRefusesAChangeWhileAnotherRuns(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{Config: rooms.Config{LeaseWait: 50 * time.Millisecond}})
	create(t, h, "r1")
	// A lease held by a change in another process.
	if err := h.KV.Put(ctx, "roomlease#r1", []byte("other"), time.Minute); err != nil {
		t.Fatal(err)
	}
	h.Counter.Reset()
	_, err := h.Service.SetStatus(ctx, "r1", live.StatusLive)
	if live.ErrorCode(err) != live.EConflict || !strings.Contains(live.ErrorMessage(err), "in progress") {
		t.Fatalf("error %v", err)
	}
	wantCalls(t, h)
}

func TestListPagesAndFiltersByStatus(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	for _, id := range []string{"a", "b/c", "d%e", "f"} {
		create(t, h, id)
	}
	for _, id := range []string{"b/c", "f"} {
		if _, err := h.Service.SetStatus(ctx, id, live.StatusLive); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	after := ""
	for {
		page, err := h.Service.List(ctx, rooms.ListParams{After: after, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rooms {
			ids = append(ids, r.ID)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if !slices.Equal(ids, []string{"a", "b/c", "d%e", "f"}) {
		t.Fatalf("all rooms %v", ids)
	}
	page, err := h.Service.List(ctx, rooms.ListParams{Status: live.StatusLive})
	if err != nil || len(page.Rooms) != 2 || page.Rooms[0].ID != "b/c" || page.Rooms[1].ID != "f" {
		t.Fatalf("live rooms %+v %v", page, err)
	}
	if _, err := h.Service.List(ctx, rooms.ListParams{Status: "closed"}); live.ErrorCode(err) != live.EInvalid {
		t.Fatalf("unknown status: %v", err)
	}
	if _, err := h.Service.List(ctx, rooms.ListParams{Limit: rooms.MaxListLimit + 1}); live.ErrorCode(err) != live.EInvalid {
		t.Fatalf("limit: %v", err)
	}
}

func TestSummary(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	create(t, h, "r1")
	if s, err := h.Service.Summary(ctx, "r1"); err != nil || s.DurationSeconds != 0 || s.TopGifters == nil {
		t.Fatalf("before going live: %+v %v", s, err)
	}
	if _, err := h.Service.SetStatus(ctx, "r1", live.StatusLive); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u1", "u2", "u3"} {
		if _, err := h.Stats.Join(ctx, "r1", "join-"+u, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Stats.Leave(ctx, "r1", "exit-u1", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Stats.AddLikes(ctx, "r1", 120); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "a"} {
		if _, err := h.Service.PinProduct(ctx, "r1", product(id)); err != nil {
			t.Fatal(err)
		}
	}
	h.Clock.Advance(30 * time.Minute)
	if s, _ := h.Service.Summary(ctx, "r1"); s.DurationSeconds != 1800 {
		t.Fatalf("while live: %d s", s.DurationSeconds)
	}
	h.Clock.Advance(60 * time.Minute)
	if _, err := h.Service.SetStatus(ctx, "r1", live.StatusEnded); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(time.Hour)
	h.Counter.Reset()
	s, err := h.Service.Summary(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, h)
	if s.DurationSeconds != 5400 || s.PeakViewers != 3 || s.Likes != 120 || s.ProductsPinned != 3 ||
		s.Gifts != 0 || s.Coins != 0 || s.Messages != 0 || len(s.TopGifters) != 0 || s.Status != live.StatusEnded {
		t.Fatalf("summary %+v", s)
	}
	v, _ := h.Service.Get(ctx, "r1")
	if v.Stats.Viewers != 2 || v.Stats.PeakViewers != 3 {
		t.Fatalf("stats %+v", v.Stats)
	}
}

func TestFieldNamesAreConfigurable(t *testing.T) {
	f := rooms.Fields{Product: "CUR_GOODS", Status: "live_state"}
	h := roomstest.New(t, roomstest.Options{Config: rooms.Config{Fields: f}})
	create(t, h, "r1")
	if _, err := h.Service.PinProduct(ctx, "r1", product("a")); err != nil {
		t.Fatal(err)
	}
	if g, _ := h.IM.Group("r1"); g.Fields["live_state"] != "created" || g.Fields["CUR_GOODS"] == "" || len(g.Fields) != 2 {
		t.Fatalf("fields %v", g.Fields)
	}
	for _, bad := range []rooms.Fields{{Product: "ADD_GOODS", Status: "1status"}, {Product: "CURRENT_PRODUCT_X", Status: "s"}, {Product: "a", Status: "a"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
}

func TestDomainLimitsAreIMs(t *testing.T) {
	for _, c := range [][2]int{
		{live.MaxRoomIDBytes, tim.MaxGroupIDBytes},
		{live.MaxTitleBytes, tim.MaxGroupNameBytes},
		{live.MaxIntroductionBytes, tim.MaxIntroductionBytes},
		{live.MaxNoticeBytes, tim.MaxNotificationBytes},
		{live.MaxUserIDBytes, tim.MaxUserIDBytes},
		{live.MaxProductFieldBytes, tim.MaxFieldValueBytes},
	} {
		if c[0] != c[1] {
			t.Errorf("domain limit %d, IM limit %d", c[0], c[1])
		}
	}
	if live.ReservedRoomIDPrefix != tim.ReservedGroupIDPrefix {
		t.Error("reserved prefix differs")
	}
}

// TestOverTheEmbeddedStore runs the main flow over the bolt adapter.
func TestOverTheEmbeddedStore(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "uriba.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := roomstest.New(t, roomstest.Options{KV: db})
	create(t, h, "r1")
	if _, err := h.Service.SetStatus(ctx, "r1", live.StatusLive); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Service.PinProduct(ctx, "r1", product("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Service.Create(ctx, rooms.CreateParams{RoomID: "r1", Title: "t", AnchorID: "a"}); live.ErrorCode(err) != live.EConflict {
		t.Fatalf("second create: %v", err)
	}
	page, err := h.Service.List(ctx, rooms.ListParams{Status: live.StatusLive})
	if err != nil || len(page.Rooms) != 1 || page.Rooms[0].Product == nil {
		t.Fatalf("live rooms %+v %v", page, err)
	}
}

func TestHistoryShowsTheLastPins(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	create(t, h, "r/1")
	n := live.MaxProductHistory + 5
	for i := 1; i <= n; i++ {
		h.Clock.Advance(time.Second)
		if _, err := h.Service.PinProduct(ctx, "r/1", product(fmt.Sprintf("sku-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	r := stored(t, h, "r/1")
	if r.ProductsPinned != n || len(r.Products) != live.MaxProductHistory ||
		r.Products[0].Product.ProductID != "sku-6" || r.Products[len(r.Products)-1].Product.ProductID != fmt.Sprintf("sku-%d", n) {
		t.Fatalf("%d pins, history of %d from %s", r.ProductsPinned, len(r.Products), r.Products[0].Product.ProductID)
	}
	for i, e := range r.Products {
		if last := i == len(r.Products)-1; (e.UnpinnedAt == nil) != last {
			t.Fatalf("entry %d: unpinned at %v", i, e.UnpinnedAt)
		}
	}
	// The room's own record stays small whatever its history.
	raw, _, err := h.KV.Get(ctx, "rooms/r%2F1")
	if err != nil || len(raw) > 1024 {
		t.Fatalf("room record of %d bytes: %v", len(raw), err)
	}
}

func TestListPagesThroughRoomIDsWithKeyCharacters(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	ids := []string{"a#1", "b/2", "c%2F", "d%3"}
	for _, id := range ids {
		create(t, h, id)
	}
	for _, status := range []live.RoomStatus{"", live.StatusCreated} {
		var got []string
		p := rooms.ListParams{Status: status, Limit: 1}
		for range 10 {
			page, err := h.Service.List(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Rooms {
				got = append(got, r.ID)
			}
			if page.Next == "" {
				break
			}
			p.After = page.Next
		}
		if !slices.Equal(got, ids) {
			t.Errorf("status %q: listed %q, want %q", status, got, ids)
		}
	}
}

func TestLeaseOutlastsTheIMCallsOfAChange(t *testing.T) {
	h := roomstest.New(t, roomstest.Options{})
	budget := h.Client.RetryBudget()
	if budget != tim.DefaultBudget {
		t.Fatalf("the IM client's budget is %v, want the default %v", budget, tim.DefaultBudget)
	}
	if _, err := rooms.New(h.KV, h.Counter, rooms.Config{LeaseTTL: budget}); err == nil {
		t.Error("a lease as short as one IM call was accepted; a change makes two under it")
	}
	if _, err := rooms.New(h.KV, h.Counter, rooms.Config{LeaseTTL: 2 * budget}); err != nil {
		t.Errorf("a lease of two IM calls was refused: %v", err)
	}
	if _, err := rooms.New(h.KV, h.Counter, rooms.Config{}); err != nil {
		t.Errorf("the default lease was refused: %v", err)
	}
}
