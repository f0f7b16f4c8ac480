package streams_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/css"
	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/streams"
	"github.com/uriba-live/uriba/shared/tim"
)

// harness is a streams service over an in-memory store, the IM stand-in and the streaming
// stand-in, on a settable clock.
type harness struct {
	t     *testing.T
	env   *functiontest.Env
	clock *clock.Manual
	rooms *rooms.Service
	svc   *streams.Service
	api   *css.API
	calls map[string]int
}

// start is the harness's time: now, since the streaming stand-in checks URL expiries and forbid
// times by its own clock.
var start = time.Now().UTC().Truncate(time.Second)

// startPush pushes the room's stream on the streaming stand-in with the room's push URL.
func (h *harness) startPush(r live.Room) {
	h.t.Helper()
	urls, err := h.svc.Push(context.Background(), r.ID, streams.Who{Merchant: true})
	if err != nil {
		h.t.Fatal(err)
	}
	_, query, _ := strings.Cut(urls.Push.RTMP, "?")
	if _, err := h.env.Streams.StartPush(context.Background(), r.StreamName, query); err != nil {
		h.t.Fatal(err)
	}
}

func newHarness(t *testing.T, mod func(*streams.Config)) *harness {
	h := &harness{t: t, env: functiontest.New(t), clock: clock.NewManual(start), calls: map[string]int{}}
	kv := memstore.New(h.clock.Now)
	im := h.env.Client(t)
	var err error
	if h.rooms, err = rooms.New(kv, im, rooms.Config{Admin: functiontest.Admin, Now: h.clock.Now}); err != nil {
		t.Fatal(err)
	}
	if h.api, err = css.NewAPI(css.APIConfig{SecretID: functiontest.CloudAPIKey, SecretKey: "k", Region: "ap-singapore", BaseURL: h.env.Vars["CLOUDAPI_BASE_URL"], Attempts: 3}); err != nil {
		t.Fatal(err)
	}
	h.api.CountCalls(func(a string) { h.calls[a]++ })
	cfg := streams.Config{
		Domains:     css.Domains{PushDomain: functiontest.PushDomain, PushKey: functiontest.PushKey, PlayDomain: functiontest.PlayDomain, PlayKey: functiontest.PlayKey, App: "live"},
		CallbackKey: functiontest.StreamKey, Now: h.clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	if h.svc, err = streams.New(h.rooms, kv, h.api, im, cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) room(id string, end *time.Time) live.Room {
	h.t.Helper()
	r, err := h.rooms.Create(context.Background(), rooms.CreateParams{RoomID: id, Title: "Sale", AnchorID: "anchor-" + id, ScheduledEndAt: end})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.Push(context.Background(), id, streams.Who{Merchant: true}); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *harness) get(id string) live.Room {
	h.t.Helper()
	v, err := h.rooms.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return v.Room
}

// event is a signed callback body of stream for event type typ at event time at.
func (h *harness) event(stream string, typ int, at time.Time, seq string, extra ...string) []byte {
	t := h.clock.Now().Add(10 * time.Minute).Unix()
	body := fmt.Sprintf(`{"event_type":%d,"stream_id":%q,"event_time":%d,"sequence":%q,"t":%d,"sign":%q,"appname":"live"%s}`,
		typ, stream, at.Unix(), seq, t, css.CallbackSign(functiontest.StreamKey, t), strings.Join(extra, ""))
	return []byte(body)
}

func (h *harness) callback(body []byte) (streams.Outcome, error) {
	return h.svc.Callback(context.Background(), body)
}

func TestPushURLsAreForMerchantsAndTheAnchorOnly(t *testing.T) {
	h := newHarness(t, nil)
	end := start.Add(2 * time.Hour)
	r := h.room("r1", &end)
	ctx := context.Background()
	if _, err := h.svc.Push(ctx, "r1", streams.Who{UserID: "someone"}); live.ErrorCode(err) != live.EForbidden {
		t.Fatalf("a viewer: %v", err)
	}
	got, err := h.svc.Push(ctx, "r1", streams.Who{UserID: r.AnchorID})
	if err != nil {
		t.Fatal(err)
	}
	// Capped at the scheduled end plus the default grace of 30 minutes, before 24 hours.
	if want := end.Add(30 * time.Minute); !got.ExpiresAt.Equal(want) {
		t.Fatalf("expires %v, want %v", got.ExpiresAt, want)
	}
	tx := css.TxTime(got.ExpiresAt)
	if !strings.HasSuffix(got.Push.RTMP, "?txSecret="+css.TxSecret(functiontest.PushKey, r.StreamName, tx)+"&txTime="+tx) ||
		!strings.HasSuffix(got.Play.FLV, ".flv?txSecret="+css.TxSecret(functiontest.PlayKey, r.StreamName, tx)+"&txTime="+tx) {
		t.Fatalf("urls %+v", got)
	}
	play, err := h.svc.Play(ctx, "r1")
	if err != nil || play.Play != got.Play {
		t.Fatalf("play %+v %v", play, err)
	}
	if _, err := h.svc.Push(ctx, "nope", streams.Who{Merchant: true}); live.ErrorCode(err) != live.ENotFound {
		t.Fatalf("unknown room: %v", err)
	}
	noEnd := h.room("r2", nil)
	got, _ = h.svc.Push(ctx, noEnd.ID, streams.Who{Merchant: true})
	if !got.ExpiresAt.Equal(start.Add(24 * time.Hour)) {
		t.Fatalf("default expiry %v", got.ExpiresAt)
	}
	if _, err := h.rooms.SetStatus(ctx, "r2", live.StatusEnded); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Push(ctx, "r2", streams.Who{Merchant: true}); live.ErrorCode(err) != live.EConflict {
		t.Fatalf("ended room: %v", err)
	}
}

func TestCallbacksDriveTheRoomInEventTimeOrderOnce(t *testing.T) {
	h := newHarness(t, nil)
	r := h.room("r1", nil)
	s := r.StreamName
	t0 := start.Add(-time.Minute)
	if out, err := h.callback(h.event(s, 1, t0, "10")); err != nil || out != streams.Applied {
		t.Fatalf("start: %v %v", out, err)
	}
	if got := h.get("r1"); got.Status != live.StatusLive || !got.Stream.Pushing {
		t.Fatalf("after start: %+v", got)
	}
	// A repeat of the same event changes nothing.
	if out, _ := h.callback(h.event(s, 1, t0, "10")); out != streams.Unchanged {
		t.Fatalf("repeat: %v", out)
	}
	// A stop, then a start again; a late stop older than that start changes nothing.
	if _, err := h.callback(h.event(s, 0, t0.Add(10*time.Second), "11")); err != nil {
		t.Fatal(err)
	}
	if got := h.get("r1"); got.Status != live.StatusPaused || got.PausedAt == nil {
		t.Fatalf("after stop: %+v", got)
	}
	if _, err := h.callback(h.event(s, 1, t0.Add(20*time.Second), "12")); err != nil {
		t.Fatal(err)
	}
	if out, _ := h.callback(h.event(s, 0, t0.Add(15*time.Second), "13")); out != streams.Unchanged {
		t.Fatalf("late stop: %v", out)
	}
	if got := h.get("r1"); got.Status != live.StatusLive || got.PausedAt != nil {
		t.Fatalf("a late stop paused the room: %+v", got)
	}
	// Recordings and screenshots are kept once each.
	rec := h.event(s, 100, t0.Add(30*time.Second), "20", `,"video_url":"https://vod.example/r1.mp4","file_id":"f1","duration":30`)
	for range 2 {
		if _, err := h.callback(rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.callback(h.event(s, 200, t0.Add(31*time.Second), "21", `,"pic_url":"/shot.jpg"`)); err != nil {
		t.Fatal(err)
	}
	sum, _ := h.rooms.Summary(context.Background(), "r1")
	if len(sum.Recordings) != 1 || sum.Recordings[0].URL != "https://vod.example/r1.mp4" || sum.Screenshots != 1 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestBadCallbacksAreRefusedAndChangeNothing(t *testing.T) {
	h := newHarness(t, nil)
	r := h.room("r1", nil)
	good := h.event(r.StreamName, 1, start, "1")
	var m map[string]any
	_ = json.Unmarshal(good, &m)
	m["sign"] = "0123456789abcdef0123456789abcdef"
	forged, _ := json.Marshal(m)
	if _, err := h.callback(forged); live.ErrorCode(err) != live.EUnauthorized {
		t.Fatalf("bad sign: %v", err)
	}
	stale := h.event(r.StreamName, 1, start, "2")
	h.clock.Advance(11 * time.Minute)
	if _, err := h.callback(stale); live.ErrorCode(err) != live.EUnauthorized {
		t.Fatalf("stale t: %v", err)
	}
	if _, err := h.callback([]byte(`{"event_type":`)); live.ErrorCode(err) != live.EMalformedJSON {
		t.Fatalf("malformed: %v", err)
	}
	if out, err := h.callback(h.event(r.StreamName, 333, start, "3")); err != nil || out != streams.Ignored {
		t.Fatalf("unknown type: %v %v", out, err)
	}
	if out, err := h.callback(h.event("no_such_stream", 1, start, "4")); err != nil || out != streams.Ignored {
		t.Fatalf("unknown stream: %v %v", out, err)
	}
	if got := h.get("r1"); got.Status != live.StatusCreated || got.Stream != nil {
		t.Fatalf("the room changed: %+v", got)
	}
}

func TestRunsEndDueRoomsDropFirstAndRetryFailures(t *testing.T) {
	h := newHarness(t, func(c *streams.Config) { c.MaxPerRun = 2 })
	ctx := context.Background()
	end := start.Add(time.Hour)
	var ids []string
	for i := range 3 {
		r := h.room(fmt.Sprintf("r%d", i), &end)
		ids = append(ids, r.ID)
		h.startPush(r)
		if _, err := h.callback(h.event(r.StreamName, 1, start, "1")); err != nil {
			t.Fatal(err)
		}
	}
	later := h.room("later", ptr(end.Add(time.Hour)))
	rep, err := h.svc.Run(ctx)
	if err != nil || len(rep.Ended) != 0 || rep.Due != 0 {
		t.Fatalf("nothing is due yet: %+v %v", rep, err)
	}
	h.clock.Set(end.Add(time.Second))
	// The first room's drop keeps failing beyond the retries: it stays live, the next is ended.
	h.env.Streams.Fail("DropLiveStream", "InternalError", "InternalError", "InternalError")
	rep, err = h.svc.Run(ctx)
	if err != nil || !rep.More || len(rep.Ended) != 1 || rep.Failed["r0"] == "" {
		t.Fatalf("first run: %+v %v", rep, err)
	}
	if got := h.get("r0"); got.Status != live.StatusLive {
		t.Fatalf("a room whose drop failed was ended: %+v", got)
	}
	// A rate limit is retried within the run.
	h.env.Streams.Fail("DropLiveStream", "RequestLimitExceeded")
	rep, err = h.svc.Run(ctx)
	if err != nil || len(rep.Ended) != 2 || len(rep.Failed) != 0 {
		t.Fatalf("second run: %+v %v", rep, err)
	}
	for _, id := range ids {
		got := h.get(id)
		if got.Status != live.StatusEnded || got.Stream.DroppedAt == nil {
			t.Fatalf("%s: %+v", id, got)
		}
		if _, forbidden := h.env.Streams.Forbidden(got.StreamName); !forbidden || h.env.Streams.Online(got.StreamName) {
			t.Fatalf("%s's stream is not dropped and forbidden", id)
		}
		msgs := h.env.IM.Messages(id)
		var ended int
		for _, m := range msgs {
			for _, e := range m.Body {
				var c tim.CustomContent
				if e.MsgType == "TIMCustomElem" && json.Unmarshal(e.MsgContent, &c) == nil && c.Data == streams.LiveEndedEvent {
					ended++
					if !strings.Contains(c.Ext, `"durationSeconds":3601`) || !strings.Contains(c.Ext, `"peakViewers"`) {
						t.Fatalf("LIVE_ENDED ext %s", c.Ext)
					}
				}
			}
		}
		if ended != 1 {
			t.Fatalf("%s got %d LIVE_ENDED", id, ended)
		}
	}
	// Runs are idempotent, and rooms not due stay.
	rep, _ = h.svc.Run(ctx)
	if len(rep.Ended) != 0 || rep.Due != 0 || h.get(later.ID).Status != live.StatusCreated {
		t.Fatalf("third run: %+v", rep)
	}
}

func TestIdleRoomsEndAndAGoneStreamCountsAsDropped(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.room("idle", nil)
	_, _ = h.callback(h.event(r.StreamName, 1, start, "1"))
	_, _ = h.callback(h.event(r.StreamName, 0, start.Add(time.Second), "2"))
	h.clock.Advance(14 * time.Minute)
	if rep, _ := h.svc.Run(ctx); len(rep.Ended) != 0 {
		t.Fatalf("ended before the idle timeout: %+v", rep)
	}
	h.clock.Advance(2 * time.Minute)
	rep, err := h.svc.Run(ctx)
	if err != nil || len(rep.Ended) != 1 {
		t.Fatalf("idle room: %+v %v", rep, err)
	}
	if got := h.get("idle"); got.Status != live.StatusEnded || got.Stream.DroppedAt == nil {
		t.Fatalf("%+v", got)
	}
}

func TestAMerchantEndsARoomAsTheScheduleDoes(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.room("manual", nil)
	h.startPush(r)
	_, _ = h.callback(h.event(r.StreamName, 1, start, "1"))
	// The Cloud API fails: the room ends all the same, and the next run drops the stream.
	h.env.Streams.Fail("DropLiveStream", "InternalError", "InternalError", "InternalError")
	got, err := h.svc.EndRoom(ctx, "manual")
	if err != nil || got.Status != live.StatusEnded || got.Stream.DroppedAt != nil {
		t.Fatalf("end by hand: %+v %v", got, err)
	}
	rep, err := h.svc.Run(ctx)
	if err != nil || rep.Due != 1 || rep.Settled != 1 {
		t.Fatalf("run: %+v %v", rep, err)
	}
	if got := h.get("manual"); got.Stream.DroppedAt == nil || h.env.Streams.Online(r.StreamName) {
		t.Fatalf("not dropped: %+v", got)
	}
	if rep, _ := h.svc.Run(ctx); rep.Due != 0 {
		t.Fatalf("entry left: %+v", rep)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAnEndedRoomsGroupIsDestroyedAfterItsGracePeriod(t *testing.T) {
	h := newHarness(t, func(c *streams.Config) { c.DestroyGroupAfter = time.Hour })
	ctx := context.Background()
	end := start.Add(time.Minute)
	r := h.room("gone", &end)
	h.clock.Set(end.Add(time.Second))
	rep, err := h.svc.Run(ctx)
	if err != nil || len(rep.Ended) != 1 || len(rep.GroupsDestroyed) != 0 {
		t.Fatalf("ending run: %+v %v", rep, err)
	}
	if _, ok := h.env.IM.Group(r.ID); !ok {
		t.Fatal("the group was destroyed before its grace period")
	}
	h.clock.Advance(time.Hour + time.Second)
	rep, err = h.svc.Run(ctx)
	if err != nil || len(rep.GroupsDestroyed) != 1 || rep.GroupsDestroyed[0] != r.ID {
		t.Fatalf("run after the grace period: %+v %v", rep, err)
	}
	if _, ok := h.env.IM.Group(r.ID); ok {
		t.Fatal("the group is still there after its grace period")
	}
	if rep, _ := h.svc.Run(ctx); len(rep.GroupsDestroyed) != 0 {
		t.Fatalf("a group was destroyed twice: %+v", rep)
	}
}
