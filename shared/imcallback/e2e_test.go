package imcallback

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue/inproc"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/standin/standintest"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

const (
	e2eRoom   = "room-e2e"
	e2eViewer = "mei"
)

// liveRoom wires the handler, served on loopback, to the IM stand-in, served on loopback, as IM
// would call it: signed callbacks with the token "tok".
type liveRoom struct {
	t      *testing.T
	h      *Handler
	im     *standin.IM
	imURL  string
	client *tim.Client
	stats  *roomstats.Stats
	queue  *inproc.Queue
	sig    string

	mu   sync.Mutex
	acts []live.Activity
}

func startLiveRoom(t *testing.T, mode ModerationMode, imToken string) *liveRoom {
	t.Helper()
	lr := &liveRoom{t: t, stats: roomstats.New(memstore.New(nil), 0)}
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := inproc.New(inproc.Config{BatchWait: 10 * time.Millisecond, Logger: discard,
		Handle: func(_ context.Context, batch []live.Activity) error {
			lr.mu.Lock()
			defer lr.mu.Unlock()
			lr.acts = append(lr.acts, batch...)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	lr.queue = q
	lr.h = New(Config{
		SDKAppID:       testAppID,
		Verifier:       tim.CallbackVerifier{Token: "tok"},
		Admin:          testAdmin,
		ModerationMode: mode,
	}, Deps{Moderator: newFakeModerator("scam", "詐欺"), Stats: lr.stats, Publisher: q, Logger: discard})
	rt := httpapi.NewRouter(discard)
	lr.h.Register(rt)
	callbacks := httptest.NewServer(rt)
	t.Cleanup(func() {
		callbacks.Close()
		_ = q.Close()
	})

	im := standintest.Start(t, standin.Config{SDKAppID: testAppID, Admin: testAdmin,
		CallbackURL: callbacks.URL + Path, CallbackToken: imToken})
	lr.im, lr.imURL, lr.client = im.IM, im.URL, im.Client
	ctx := context.Background()
	if err := lr.client.AccountImport(ctx, tim.AccountImportRequest{UserID: e2eViewer, Nick: "Mei"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lr.client.CreateGroup(ctx, tim.CreateGroupRequest{Type: tim.GroupTypeAVChatRoom, GroupID: e2eRoom, Name: "Spring sale"}); err != nil {
		t.Fatal(err)
	}
	if lr.sig, _, err = tim.GenUserSig(testAppID, standintest.SecretKey, e2eViewer, time.Hour); err != nil {
		t.Fatal(err)
	}
	return lr
}

// clientReply is what the stand-in's viewer API answers.
type clientReply struct {
	OK      bool   `json:"ok"`
	MsgSeq  uint64 `json:"msgSeq"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// viewer calls the stand-in's viewer API as Mei.
func (lr *liveRoom) viewer(method, path string, body any) (int, clientReply) {
	lr.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, lr.imURL+path, r)
	if err != nil {
		lr.t.Fatal(err)
	}
	req.Header.Set("Authorization", "UserSig "+lr.sig)
	req.Header.Set("X-User-Id", e2eViewer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		lr.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out clientReply
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		lr.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, out
}

func (lr *liveRoom) say(text string) (int, clientReply) {
	return lr.viewer(http.MethodPost, "/standin/groups/"+e2eRoom+"/messages", map[string]any{"text": text})
}

func (lr *liveRoom) custom(event, ext, priority string) (int, clientReply) {
	return lr.viewer(http.MethodPost, "/standin/groups/"+e2eRoom+"/messages",
		map[string]any{"custom": map[string]string{"data": event, "extension": ext}, "priority": priority})
}

// settle waits for the callbacks the stand-in has sent so far, then for the handler's I/O.
func (lr *liveRoom) settle() {
	lr.t.Helper()
	lr.im.Settle()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := lr.h.Wait(ctx); err != nil {
		lr.t.Fatalf("the handler's I/O did not end: %v", err)
	}
}

func (lr *liveRoom) counts() roomstats.Counts {
	lr.t.Helper()
	c, err := lr.stats.Get(context.Background(), e2eRoom)
	if err != nil {
		lr.t.Fatal(err)
	}
	return c
}

// delivered returns the texts and custom events the room received, in order.
func (lr *liveRoom) delivered() []string {
	var out []string
	for _, m := range lr.im.Messages(e2eRoom) {
		for _, el := range m.Body {
			if s, ok := el.Text(); ok {
				out = append(out, m.From+":"+s)
			} else if c, ok := el.Custom(); ok {
				out = append(out, m.From+":"+c.Data)
			}
		}
	}
	return out
}

// finish waits for the stand-in's callbacks in flight and for the handler's I/O, drains the
// queue, then returns the activities published.
func (lr *liveRoom) finish() []live.Activity {
	lr.im.Close()
	lr.settle()
	_ = lr.queue.Close()
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return slices.Clone(lr.acts)
}

func TestEndToEndWithTheStandIn(t *testing.T) {
	for _, mode := range []ModerationMode{ModerationReject, ModerationMask} {
		t.Run(string(mode), func(t *testing.T) {
			lr := startLiveRoom(t, mode, "tok")
			ctx := context.Background()

			// Mei joins: one viewer, a peak of one.
			if status, r := lr.viewer(http.MethodPost, "/standin/groups/"+e2eRoom+"/members", nil); status != 200 || !r.OK {
				t.Fatalf("join: %d %+v", status, r)
			}
			lr.settle()
			if c := lr.counts(); c != (roomstats.Counts{Viewers: 1, PeakViewers: 1}) {
				t.Fatalf("counts %+v after the join", c)
			}

			// A clean text is delivered.
			if status, r := lr.say("hello, is the blue one in stock?"); status != 200 || r.MsgSeq == 0 {
				t.Fatalf("clean text: %d %+v", status, r)
			}

			// A banned word: refused with 10101 in reject mode, masked in mask mode.
			status, r := lr.say("this shop is a SCAM")
			switch mode {
			case ModerationReject:
				if status != http.StatusForbidden || r.Code != CodeModerated || r.Message != InfoModerated {
					t.Fatalf("banned text in reject mode: %d %+v", status, r)
				}
			case ModerationMask:
				if status != 200 || r.MsgSeq == 0 {
					t.Fatalf("banned text in mask mode: %d %+v", status, r)
				}
			}

			// A gift forged by a viewer is refused; the same gift sent by the server through REST
			// on her behalf is delivered.
			if status, r := lr.custom("SEND_GIFT", `{"giftId":"rocket","price":5000}`, tim.PriorityHigh); status != http.StatusForbidden || r.Code != CodeServerOnly {
				t.Fatalf("forged gift: %d %+v", status, r)
			}
			if rep, err := lr.client.SendGroupMsg(ctx, tim.SendGroupMsgRequest{GroupID: e2eRoom, FromAccount: e2eViewer, Random: 7,
				MsgPriority: tim.PriorityHigh, MsgBody: []tim.MsgElem{tim.CustomElem("SEND_GIFT", `{"giftId":"rocket"}`)}}); err != nil || rep.MsgSeq == 0 {
				t.Fatalf("gift through REST: %+v %v", rep, err)
			}

			// Likes are counted as BeforeSendMsg sees them.
			if status, r := lr.custom("LIKE", `{"count":2}`, tim.PriorityLow); status != 200 || r.MsgSeq == 0 {
				t.Fatalf("like: %d %+v", status, r)
			}
			if c := lr.counts(); c.Likes != 2 {
				t.Fatalf("likes %d after a like of 2", c.Likes)
			}

			want := []string{"mei:hello, is the blue one in stock?", "mei:SEND_GIFT", "mei:LIKE"}
			if mode == ModerationMask {
				want = slices.Insert(want, 1, "mei:this shop is a ****")
			}
			if got := lr.delivered(); !slices.Equal(got, want) {
				t.Fatalf("delivered %q, want %q", got, want)
			}

			// Mei leaves: no viewers, the peak stays.
			if status, r := lr.viewer(http.MethodDelete, "/standin/groups/"+e2eRoom+"/members/me", nil); status != 200 || !r.OK {
				t.Fatalf("leave: %d %+v", status, r)
			}
			lr.settle()
			if c := lr.counts(); c.Messages < 1 || c != (roomstats.Counts{Likes: 2, Viewers: 0, PeakViewers: 1, Messages: c.Messages}) {
				t.Fatalf("counts %+v after the exit", c)
			}

			// Every delivered message that earns something produced exactly one activity, named
			// after its MsgSeq; refused messages and the server's gift produced none.
			messages := lr.im.Messages(e2eRoom)
			var wantActs []live.Activity
			for _, m := range messages {
				kind, amount := live.KindChat, int64(1)
				if c, ok := m.Body[0].Custom(); ok {
					if c.Data != "LIKE" {
						continue
					}
					kind, amount = live.KindLike, 2
				}
				wantActs = append(wantActs, live.Activity{ID: e2eRoom + "/" + strconv.FormatUint(m.Seq, 10), RoomID: e2eRoom,
					UserID: e2eViewer, Kind: kind, Amount: amount, At: time.Unix(m.Time.Unix(), 0).UTC()})
			}
			// Closing the stand-in cancels its callbacks in flight: first wait for the last ones.
			lr.settle()
			if n := lr.h.Metrics().Activities; n < uint64(len(wantActs)) {
				t.Fatalf("%d activities published, want %d", n, len(wantActs))
			}
			acts := lr.finish()
			slices.SortFunc(acts, func(a, b live.Activity) int { return compareIDs(a.ID, b.ID) })
			if !slices.Equal(acts, wantActs) {
				t.Fatalf("activities\n %+v\nwant\n %+v", acts, wantActs)
			}
			if m := lr.h.Metrics(); m.Refused != 0 || m.IOErrors+m.IOTimeouts != 0 {
				t.Fatalf("metrics %+v", m)
			}
		})
	}
}

// compareIDs orders "room/seq" IDs by sequence.
func compareIDs(a, b string) int {
	na, _ := strconv.Atoi(a[len(e2eRoom)+1:])
	nb, _ := strconv.Atoi(b[len(e2eRoom)+1:])
	return na - nb
}

// TestEndToEndAWrongTokenFailsOpen shows the documented consequence of refusing a callback: IM
// treats the 401 as a failed callback and delivers the message unchecked.
func TestEndToEndAWrongTokenFailsOpen(t *testing.T) {
	lr := startLiveRoom(t, ModerationReject, "rotated-token")
	if status, r := lr.viewer(http.MethodPost, "/standin/groups/"+e2eRoom+"/members", nil); status != 200 || !r.OK {
		t.Fatalf("join: %d %+v", status, r)
	}
	if status, r := lr.say("scam"); status != 200 || r.MsgSeq == 0 {
		t.Fatalf("text: %d %+v", status, r)
	}
	if got := lr.delivered(); !slices.Equal(got, []string{"mei:scam"}) {
		t.Fatalf("delivered %q", got)
	}
	lr.finish()
	if m := lr.h.Metrics(); m.Refused < 2 || m.Callbacks != 0 {
		t.Fatalf("metrics %+v: every callback must have been refused", m)
	}
}
