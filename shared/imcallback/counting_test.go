package imcallback

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store/bolt"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

// maxOpsPerMembershipCallback is the most store calls one membership callback may make, however
// many members it names.
const maxOpsPerMembershipCallback = 4

// members returns n member entries named prefix-0, prefix-1, …
func members(prefix string, n int) []tim.Member {
	out := make([]tim.Member, n)
	for i := range out {
		out[i] = tim.Member{MemberAccount: fmt.Sprintf("%s-%d", prefix, i)}
	}
	return out
}

func joinBody(room string, eventTime int64, list []tim.Member) []byte {
	b, _ := json.Marshal(tim.NewMemberJoinCallback{CallbackCommand: tim.CmdAfterNewMemberJoin, GroupID: room,
		Type: tim.GroupTypeAVChatRoom, JoinType: "Apply", NewMemberList: list, EventTime: eventTime})
	return b
}

func exitBody(room string, eventTime int64, list []tim.Member) []byte {
	b, _ := json.Marshal(tim.MemberExitCallback{CallbackCommand: tim.CmdAfterMemberExit, GroupID: room,
		Type: tim.GroupTypeAVChatRoom, ExitType: "Quit", ExitMemberList: list, EventTime: eventTime})
	return b
}

// callback sends one callback, waits for its I/O and returns the store calls it made.
func (hs *harness) callback(kv *countingKV, command string, body []byte) int64 {
	hs.t.Helper()
	before := kv.ops()
	expectCode(hs.t, hs.send(command, body), 0)
	hs.settle()
	return kv.ops() - before
}

func TestALargeJoinCallbackCountsEveryMemberInAFewStoreCalls(t *testing.T) {
	kv := openBolt(t)
	hs := newHarnessOver(t, kv, nil)
	crowd := members("viewer", 2000)

	ops := hs.callback(kv, tim.CmdAfterNewMemberJoin, joinBody("room-1", 1735689600000, crowd))
	t.Logf("store calls for a callback of 2,000 joins: %d", ops)
	if c := hs.counts("room-1"); c.Viewers != 2000 || c.PeakViewers != 2000 {
		t.Fatalf("counts %+v after one callback of 2,000 joins, want 2,000 viewers at a peak of 2,000", c)
	}
	if ops > maxOpsPerMembershipCallback {
		t.Fatalf("a callback of 2,000 joins made %d store calls, want at most %d", ops, maxOpsPerMembershipCallback)
	}

	// IM redelivers the callback: nothing changes.
	ops = hs.callback(kv, tim.CmdAfterNewMemberJoin, joinBody("room-1", 1735689600000, crowd))
	if c := hs.counts("room-1"); c.Viewers != 2000 || c.PeakViewers != 2000 {
		t.Fatalf("counts %+v after a redelivered callback", c)
	}
	if ops > 1 {
		t.Fatalf("a redelivered callback made %d store calls, want 1", ops)
	}

	// 1,500 of them leave at once; 300 more join; the peak stays where it was.
	ops = hs.callback(kv, tim.CmdAfterMemberExit, exitBody("room-1", 1735689660000, crowd[:1500]))
	if c := hs.counts("room-1"); c.Viewers != 500 || c.PeakViewers != 2000 {
		t.Fatalf("counts %+v after 1,500 exits, want 500 viewers at a peak of 2,000", c)
	}
	if ops > maxOpsPerMembershipCallback {
		t.Fatalf("a callback of 1,500 exits made %d store calls, want at most %d", ops, maxOpsPerMembershipCallback)
	}
	hs.callback(kv, tim.CmdAfterMemberExit, exitBody("room-1", 1735689660000, crowd[:1500]))
	hs.callback(kv, tim.CmdAfterNewMemberJoin, joinBody("room-1", 1735689670000, members("late", 300)))
	if c := hs.counts("room-1"); c.Viewers != 800 || c.PeakViewers != 2000 {
		t.Fatalf("counts %+v, want 800 viewers at a peak of 2,000", c)
	}
	if m := hs.h.Metrics(); m.Joins != 2300 || m.Leaves != 1500 || m.IOErrors != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

func TestAMembershipCallbackCountsEachMemberItNamesOnce(t *testing.T) {
	hs := newHarness(t, nil)
	list := append(members("viewer", 3), tim.Member{MemberAccount: "viewer-1"}, tim.Member{MemberAccount: testAdmin},
		tim.Member{MemberAccount: ""})
	expectCode(t, hs.send(tim.CmdAfterNewMemberJoin, joinBody("room-1", 1735689600000, list)), 0)
	hs.settle()
	if c := hs.counts("room-1"); c != (roomstats.Counts{Viewers: 3, PeakViewers: 3}) {
		t.Fatalf("counts %+v: a member named twice, the admin or an empty name was counted", c)
	}
	// The same members joining at another moment are another event, and count again: IM reports
	// no second join of a member who has not left, so a second join follows an exit IM lost.
	expectCode(t, hs.send(tim.CmdAfterNewMemberJoin, joinBody("room-1", 1735689600001, list)), 0)
	hs.settle()
	if c := hs.counts("room-1"); c != (roomstats.Counts{Viewers: 6, PeakViewers: 6}) {
		t.Fatalf("counts %+v", c)
	}
	// More exits than viewers leave none, not fewer than none.
	expectCode(t, hs.send(tim.CmdAfterMemberExit, exitBody("room-1", 1735689700000, members("viewer", 3))), 0)
	expectCode(t, hs.send(tim.CmdAfterMemberExit, exitBody("room-1", 1735689700001, members("viewer", 3))), 0)
	expectCode(t, hs.send(tim.CmdAfterMemberExit, exitBody("room-1", 1735689700002, members("viewer", 3))), 0)
	hs.settle()
	expectCode(t, hs.send(tim.CmdAfterNewMemberJoin, joinBody("room-1", 1735689800000, members("new", 2))), 0)
	hs.settle()
	if c := hs.counts("room-1"); c != (roomstats.Counts{Viewers: 2, PeakViewers: 6}) {
		t.Fatalf("counts %+v, want 2 viewers after the room emptied", c)
	}
}

func TestAReplayedLikeIsCountedOnce(t *testing.T) {
	kv := openBolt(t)
	hs := newHarnessOver(t, kv, nil)
	like := fixture(t, "before_like.json") // 3 likes, From_Account viewer_3, Random 4001
	var ops []int64
	for range 5 {
		ops = append(ops, hs.callback(kv, tim.CmdBeforeSendMsg, like))
	}
	if c := hs.counts("room-1"); c.Likes != 3 {
		t.Fatalf("likes %d after the same signed like was sent 5 times, want 3", c.Likes)
	}
	if m := hs.h.Metrics(); m.Likes != 3 || m.LikeMsgs != 5 {
		t.Fatalf("metrics %+v", m)
	}
	t.Logf("store calls per like message: %v", ops)
	if ops[0] > 2 {
		t.Fatalf("a like message made %d store calls, want at most 2", ops[0])
	}

	// Another message of the same sender (another Random), and the same Random from another
	// sender or in another room, are other likes.
	for _, body := range [][]byte{
		sendMsgBody(tim.CmdBeforeSendMsg, "room-1", "viewer_3", "viewer_3", 4002, 0, tim.CustomElem("LIKE", "")),
		sendMsgBody(tim.CmdBeforeSendMsg, "room-1", "viewer_4", "viewer_4", 4001, 0, tim.CustomElem("LIKE", "")),
		sendMsgBody(tim.CmdBeforeSendMsg, "room-2", "viewer_3", "viewer_3", 4001, 0, tim.CustomElem("LIKE", "")),
	} {
		hs.callback(kv, tim.CmdBeforeSendMsg, body)
	}
	if c1, c2 := hs.counts("room-1"), hs.counts("room-2"); c1.Likes != 5 || c2.Likes != 1 {
		t.Fatalf("likes %d and %d, want 5 and 1", c1.Likes, c2.Likes)
	}
}

func TestAReplayedAbsorbedLikePublishesOneActivity(t *testing.T) {
	hs := newHarness(t, func(c *Config) { c.AbsorbLikes = true })
	for range 3 {
		expectCode(t, hs.send(tim.CmdBeforeSendMsg, fixture(t, "before_like.json")), tim.CallbackDiscard)
	}
	hs.settle()
	if got := hs.pub.activities(); len(got) != 1 {
		t.Fatalf("activities %+v, want one", got)
	}
	if c := hs.counts("room-1"); c.Likes != 3 {
		t.Fatalf("likes %d, want 3", c.Likes)
	}
}

// slowKV delays every call of the roomstats.KV it wraps, as a distant store does, and gives up
// when the call's context ends first.
type slowKV struct {
	roomstats.KV
	delay time.Duration
}

func (s slowKV) pause(ctx context.Context) error {
	select {
	case <-time.After(s.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s slowKV) Add(ctx context.Context, key string, delta int64) (int64, error) {
	if err := s.pause(ctx); err != nil {
		return 0, err
	}
	return s.KV.Add(ctx, key, delta)
}

func (s slowKV) Max(ctx context.Context, key string, v int64) (int64, error) {
	if err := s.pause(ctx); err != nil {
		return 0, err
	}
	return s.KV.Max(ctx, key, v)
}

func (s slowKV) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := s.pause(ctx); err != nil {
		return false, err
	}
	return s.KV.PutIfAbsent(ctx, key, value, ttl)
}

func TestIOPastTheBudgetFinishesInTheBackground(t *testing.T) {
	const budget = 40 * time.Millisecond
	hs := newHarnessOver(t, slowKV{KV: memstore.New(nil), delay: 30 * time.Millisecond}, func(c *Config) { c.IOBudget = budget })
	start := time.Now()
	expectCode(t, hs.send(tim.CmdAfterNewMemberJoin, joinBody("room-1", 1735689600000, members("viewer", 5))), 0)
	expectCode(t, hs.send(tim.CmdBeforeSendMsg, fixture(t, "before_like.json")), 0)
	if took := time.Since(start); took > 2*budget+200*time.Millisecond {
		t.Fatalf("two replies took %v with an I/O budget of %v", took, budget)
	}
	hs.settle()
	if c := hs.counts("room-1"); c.Viewers != 5 || c.PeakViewers != 5 || c.Likes != 3 {
		t.Fatalf("counts %+v: the I/O that outlasted the budget was not finished", c)
	}
	if m := hs.h.Metrics(); m.IOTimeouts != 2 || m.IOLate != 2 || m.IOErrors != 0 || m.Joins != 5 || m.Likes != 3 {
		t.Fatalf("metrics %+v", m)
	}
}

// creditedXP credits acts as the level updater does, with the default rules, on bolt, and
// returns the XP user earned.
func creditedXP(t *testing.T, acts []live.Activity, user string, now time.Time) int64 {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "levels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u, err := levels.NewUpdater(db, nil, levels.Config{Rules: live.DefaultLevelRules(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for batch := range slices.Chunk(acts, 500) {
		if failed, err := u.Apply(context.Background(), batch); err != nil || len(failed) > 0 {
			t.Fatalf("Apply: failed %v, %v", failed, err)
		}
	}
	l, err := u.Get(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return l.XP
}

// afterMsg returns the AfterSendMsg body of message seq of from in room-1.
func afterMsg(from, operator string, seq int, el tim.MsgElem) []byte {
	return sendMsgBody(tim.CmdAfterSendMsg, "room-1", from, operator, uint32(seq), uint64(seq), el)
}

func TestPurchasePromptsFromClientsEarnNoXP(t *testing.T) {
	hs := newHarness(t, nil)
	prompt := tim.CustomElem("BUY_GOODS", `{"goodsId":"sku-1","price":129900}`)
	for seq := 1; seq <= 40; seq++ {
		// The prompt is delivered to the room…
		expectCode(t, hs.send(tim.CmdBeforeSendMsg, sendMsgBody(tim.CmdBeforeSendMsg, "room-1", "viewer_1", "viewer_1",
			uint32(seq), 0, prompt)), 0)
		// …and, once delivered, earns nothing.
		expectCode(t, hs.send(tim.CmdAfterSendMsg, afterMsg("viewer_1", "viewer_1", seq, prompt)), 0)
	}
	// Nor does one the server sent on the buyer's behalf: the purchase itself earns the XP, once.
	expectCode(t, hs.send(tim.CmdAfterSendMsg, afterMsg("viewer_1", testAdmin, 41, prompt)), 0)
	// Nor any event a client could name after a server-attested kind.
	for i, event := range []string{"purchase", "PURCHASE", "buy", "gift", "SEND_GIFT", "NEW_GIFT"} {
		expectCode(t, hs.send(tim.CmdAfterSendMsg, afterMsg("viewer_1", "viewer_1", 100+i, tim.CustomElem(event, `{"amount":1000}`))), 0)
	}
	hs.settle()
	acts := hs.pub.activities()
	if len(acts) != 0 {
		t.Fatalf("client messages published %+v", acts)
	}
	if xp := creditedXP(t, acts, "viewer_1", hs.now); xp != 0 {
		t.Fatalf("40 purchase prompts earned %d XP, want 0", xp)
	}
}

func TestClientMessagesStayWithinTheirDailyCaps(t *testing.T) {
	rules := live.DefaultLevelRules()
	tests := []struct {
		name string
		el   tim.MsgElem
		n    int
		kind live.ActivityKind
	}{
		{"chat", tim.TextElem("is the blue one in stock?"), 10_000, live.KindChat},
		{"likes", tim.CustomElem("LIKE", `{"count":100}`), 500, live.KindLike},
		{"coupons", tim.CustomElem("USE_COUPON", `{"couponId":"c1"}`), 500, live.KindCoupon},
		{"follows", tim.CustomElem("ATTENTION", ""), 500, live.KindFollow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, nil)
			for seq := 1; seq <= tc.n; seq++ {
				expectCode(t, hs.send(tim.CmdAfterSendMsg, afterMsg("viewer_1", "viewer_1", seq, tc.el)), 0)
			}
			hs.settle()
			acts := hs.pub.activities()
			if len(acts) != tc.n {
				t.Fatalf("%d activities for %d messages", len(acts), tc.n)
			}
			for _, a := range acts {
				if a.Kind != tc.kind || !a.Kind.FromClient() {
					t.Fatalf("activity %+v, want kind %s", a, tc.kind)
				}
			}
			limit := rules.DailyCap[tc.kind]
			if xp := creditedXP(t, acts, "viewer_1", hs.now); xp != limit {
				t.Fatalf("%d %s messages in one day earned %d XP, want the cap of %d", tc.n, tc.name, xp, limit)
			}
		})
	}
}

func TestWaitEndsWithItsContextWhileIOIsStuck(t *testing.T) {
	hs := newHarness(t, nil)
	release := make(chan struct{})
	hs.kv.SetFaults(stuck(release))
	expectCode(t, hs.send(tim.CmdAfterNewMemberJoin, fixture(t, "join.json")), 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := hs.h.Wait(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Wait with stuck I/O: %v, want the context's deadline", err)
	}
	hs.kv.SetFaults(nil)
	close(release)
	hs.settle()
	if c := hs.counts("room-1"); c.Viewers != 2 {
		t.Fatalf("counts %+v after the store recovered", c)
	}
}
