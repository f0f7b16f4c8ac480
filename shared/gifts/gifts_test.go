package gifts_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/gifts"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

const (
	appID   = 1400000099
	secret  = "gifts-test-secret-0123456789abcdef0123456789abcdef"
	admin   = "administrator"
	sendMsg = "group_open_http_svc/send_group_msg"
)

type world struct {
	im     *standin.IM
	faults *standin.Faulty
	client *tim.Client
	kv     *memstore.Store
	rooms  *rooms.Service
	svc    *gifts.Service
	queued *recorder
}

type recorder struct {
	mu  sync.Mutex
	ids map[string]int
	// fail is how many of the next publishes fail.
	fail int
}

func (r *recorder) Publish(_ context.Context, as ...live.Activity) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return errors.New("queue unavailable")
	}
	for _, a := range as {
		r.ids[a.ID]++
	}
	return nil
}

func newWorld(t *testing.T, perSecond int) *world {
	t.Helper()
	return newWorldAt(t, perSecond, nil)
}

// newWorldAt is newWorld with the service and the store on the clock now (time.Now when nil).
func newWorldAt(t *testing.T, perSecond int, now func() time.Time) *world {
	t.Helper()
	im, err := standin.New(standin.Config{SDKAppID: appID, SecretKey: secret, Admin: admin, RESTCallsPerSecond: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	faults := standin.NewFaulty(im.Handler())
	srv := httptest.NewServer(faults)
	t.Cleanup(func() { im.Close(); srv.Close() })
	client, err := tim.NewClient(tim.ClientConfig{SDKAppID: appID, SecretKey: secret, Admin: admin, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	kv := memstore.New(now)
	rs, err := rooms.New(kv, client, rooms.Config{Admin: admin})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{ids: map[string]int{}}
	svc, err := gifts.New(kv, client, rs, rec, gifts.Config{Admin: admin, MessagesPerSecond: perSecond, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{im: im, faults: faults, client: client, kv: kv, rooms: rs, svc: svc, queued: rec}
	ctx := context.Background()
	if _, err := rs.Create(ctx, rooms.CreateParams{RoomID: "r1", Title: "Sale", AnchorID: "anchor"}); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.SetStatus(ctx, "r1", live.StatusLive); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateGift(ctx, live.Gift{GiftID: "rose", Name: "Rose", Price: 30}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) viewer(t *testing.T, id string, coins int64) {
	t.Helper()
	if err := w.client.AccountImport(context.Background(), tim.AccountImportRequest{UserID: id}); err != nil {
		t.Fatal(err)
	}
	if coins > 0 {
		if _, err := w.svc.TopUp(context.Background(), id, "topup-"+id, coins); err != nil {
			t.Fatal(err)
		}
	}
}

func (w *world) giftMessages(t *testing.T) (single, merged int, shown int64) {
	t.Helper()
	for _, m := range w.im.Messages("r1") {
		var c tim.CustomContent
		if m.Body[0].MsgType != tim.ElemCustom || json.Unmarshal(m.Body[0].MsgContent, &c) != nil || c.Data != live.EventSendGift {
			continue
		}
		var ext gifts.MergedExt
		_ = json.Unmarshal([]byte(c.Ext), &ext)
		if ext.Merged {
			merged++
			for _, g := range ext.Gifts {
				shown += g.Count
			}
			continue
		}
		single++
		shown++
	}
	return
}

func (w *world) balance(t *testing.T, id string) int64 {
	t.Helper()
	b, err := w.svc.Balance(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return b.Balance
}

func TestParallelGiftsNeverOverspendAndConserveCoins(t *testing.T) {
	w := newWorld(t, 40)
	w.viewer(t, "alice", 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, short := 0, 0
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.svc.Send(context.Background(), gifts.SendParams{RoomID: "r1", UserID: "alice", GiftID: "rose", Count: 1, Key: fmt.Sprint("k", i)})
			mu.Lock()
			defer mu.Unlock()
			switch live.ErrorCode(err) {
			case "internal":
				if err == nil {
					ok++
					return
				}
				t.Errorf("send: %v", err)
			case live.EInsufficientCoins:
				short++
			default:
				t.Errorf("send: %v", err)
			}
		}()
	}
	wg.Wait()
	coins, n, err := w.svc.LedgerCoins(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if ok != 33 || short != 67 || n != 33 {
		t.Fatalf("%d sent, %d short, %d in the ledger; want 33, 67, 33", ok, short, n)
	}
	if bal := w.balance(t, "alice"); bal+coins != 1000 || bal != 10 {
		t.Fatalf("balance %d + ledger %d != 1000", bal, coins)
	}
	if _, err := w.svc.Flush(context.Background(), "r1"); err != nil {
		t.Fatal(err)
	}
	if _, _, shown := w.giftMessages(t); shown != 33 {
		t.Fatalf("%d gifts shown, want 33", shown)
	}
	if len(w.queued.ids) != 33 {
		t.Fatalf("%d gift activities, want 33", len(w.queued.ids))
	}
}

func TestARepeatedGiftIsBilledAndShownOnce(t *testing.T) {
	w := newWorld(t, 10)
	w.viewer(t, "bob", 100)
	p := gifts.SendParams{RoomID: "r1", UserID: "bob", GiftID: "rose", Count: 2, Key: "same"}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = w.svc.Send(context.Background(), p) }()
	}
	wg.Wait()
	got, err := w.svc.Send(context.Background(), p)
	if err != nil || got.Balance != 40 || got.Coins != 60 {
		t.Fatalf("%+v %v", got, err)
	}
	if bal := w.balance(t, "bob"); bal != 40 {
		t.Fatalf("balance %d, want 40", bal)
	}
	if single, _, _ := w.giftMessages(t); single != 1 {
		t.Fatalf("%d SEND_GIFT, want 1", single)
	}
	p.Count = 3
	if _, err := w.svc.Send(context.Background(), p); live.ErrorCode(err) != live.EIdempotencyReuse {
		t.Fatalf("another count with the same key: %v", err)
	}
}

func TestIMFailingAfterTheDebitRefundsAndARetryBillsOnce(t *testing.T) {
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprint("reply lost ", lost), func(t *testing.T) {
			w := newWorld(t, 10)
			w.viewer(t, "carol", 100)
			w.faults.Fail(sendMsg, 1, 10007, lost)
			p := gifts.SendParams{RoomID: "r1", UserID: "carol", GiftID: "rose", Count: 1, Key: "g1"}
			if _, err := w.svc.Send(context.Background(), p); err == nil {
				t.Fatal("IM failed, yet the gift was sent")
			}
			if bal := w.balance(t, "carol"); bal != 100 {
				t.Fatalf("balance %d after IM failed, want 100 (refunded)", bal)
			}
			got, err := w.svc.Send(context.Background(), p)
			if err != nil || got.Balance != 70 {
				t.Fatalf("retry: %+v %v", got, err)
			}
			if single, _, _ := w.giftMessages(t); single != 1 {
				t.Fatalf("%d SEND_GIFT, want 1", single)
			}
			coins, _, _ := w.svc.LedgerCoins(context.Background(), "r1")
			if coins+w.balance(t, "carol") != 100 {
				t.Fatal("coins not conserved")
			}
		})
	}
}

func TestCombosAndTheMessageBudget(t *testing.T) {
	w := newWorld(t, 10)
	w.viewer(t, "dave", 10000)
	var last gifts.Sent
	for i := range 30 {
		s, err := w.svc.Send(context.Background(), gifts.SendParams{RoomID: "r1", UserID: "dave", GiftID: "rose", Count: 1, Key: fmt.Sprint("c", i)})
		if err != nil {
			t.Fatal(err)
		}
		last = s
	}
	if last.Combo != 30 {
		t.Fatalf("combo %d, want 30", last.Combo)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := w.svc.Flush(context.Background(), "r1"); err != nil {
		t.Fatal(err)
	}
	single, merged, shown := w.giftMessages(t)
	if shown != 30 || merged == 0 || single > 30-1 {
		t.Fatalf("%d single, %d merged, %d gifts shown", single, merged, shown)
	}
	sales, err := w.svc.Sales().Totals(context.Background(), "r1", 10)
	if err != nil || sales.Gifts != 30 || sales.Coins != 900 || sales.TopGifters[0].UserID != "dave" {
		t.Fatalf("%+v %v", sales, err)
	}
}

func TestPurchasesAreIdempotentOnOrderID(t *testing.T) {
	w := newWorld(t, 10)
	p := live.Purchase{OrderID: "o-1", UserID: "erin", ProductID: "tea", ProductName: "Tea", Quantity: 2, Amount: "19.99", Currency: "USD"}
	for range 3 {
		if _, err := w.svc.Purchase(context.Background(), "r1", p); err != nil {
			t.Fatal(err)
		}
	}
	p.Quantity = 3
	if _, err := w.svc.Purchase(context.Background(), "r1", p); live.ErrorCode(err) != live.EConflict {
		t.Fatalf("other content: %v", err)
	}
	if _, err := w.svc.Purchase(context.Background(), "nope", live.Purchase{OrderID: "o-2", UserID: "erin", ProductID: "tea", Quantity: 1, Amount: "1", Currency: "USD"}); live.ErrorCode(err) != live.ENotFound {
		t.Fatalf("unknown room: %v", err)
	}
	s, err := w.svc.Sales().Totals(context.Background(), "r1", 10)
	if err != nil || s.Orders != 1 || s.Units != 2 || s.Revenue["USD"] != "19.99" || len(s.Products) != 1 {
		t.Fatalf("%+v %v", s, err)
	}
	buys := 0
	for _, m := range w.im.Messages("r1") {
		var c tim.CustomContent
		if json.Unmarshal(m.Body[0].MsgContent, &c) == nil && c.Data == live.EventBuyGoods {
			buys++
			if m.From != "erin" {
				t.Errorf("BUY_GOODS from %s", m.From)
			}
		}
	}
	if buys != 1 || w.queued.ids["purchase:o-1"] == 0 {
		t.Fatalf("%d BUY_GOODS, activities %v", buys, w.queued.ids)
	}
}

func TestStoreCallsPerGiftAndPurchase(t *testing.T) {
	// Both gifts in one second of a clock that stands still, so that neither pays for a new
	// second of the budget.
	clk := clock.NewManual(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC))
	w := newWorldAt(t, 10, clk.Now)
	w.viewer(t, "frank", 1000)
	ops := []string{"Get", "Put", "PutIfAbsent", "CompareAndSwap", "Delete", "Add", "AddMany", "Counter", "Scan"}
	count := func() int {
		n := 0
		for _, o := range ops {
			n += w.kv.Calls(o)
		}
		return n
	}
	before := count()
	if _, err := w.svc.Send(context.Background(), gifts.SendParams{RoomID: "r1", UserID: "frank", GiftID: "rose", Count: 1, Key: "m1"}); err != nil {
		t.Fatal(err)
	}
	first := count() - before
	before = count()
	if _, err := w.svc.Send(context.Background(), gifts.SendParams{RoomID: "r1", UserID: "frank", GiftID: "rose", Count: 1, Key: "m2"}); err != nil {
		t.Fatal(err)
	}
	gift := count() - before
	before = count()
	if _, err := w.svc.Purchase(context.Background(), "r1", live.Purchase{OrderID: "m-1", UserID: "frank", ProductID: "tea", ProductName: "Tea", Quantity: 1, Amount: "5", Currency: "JPY"}); err != nil {
		t.Fatal(err)
	}
	purchase := count() - before
	t.Logf("store calls: %d per gift (%d for the room's first, which also clears old budget counters and lists pending gifts), %d per purchase", gift, first, purchase)
	if gift > 15 || first > 20 || purchase > 8 {
		t.Fatalf("store calls: %d per gift, %d for the first, %d per purchase", gift, first, purchase)
	}
}

// TestAMergedMessageWhoseReplyWasLostIsNotShownTwice loses IM's reply to a merged message, lets
// another gift join the merge queue, and flushes again: the gifts of the first message are shown
// once, not again inside a new message.
func TestAMergedMessageWhoseReplyWasLostIsNotShownTwice(t *testing.T) {
	w := newWorld(t, 10)
	ctx := context.Background()
	queue := func(op string) {
		item := fmt.Sprintf(`{"op":%q,"userId":"erin","gift":{"giftId":"rose","name":"Rose","price":30},"count":1,"combo":1}`, op)
		if err := w.kv.Put(ctx, "giftpending/r1/000000000001."+op, []byte(item), 0); err != nil {
			t.Fatal(err)
		}
	}
	queue("a")
	queue("b")
	queue("c")
	w.faults.Fail("group_open_http_svc/send_group_msg", 1, 10004, true)
	if _, err := w.svc.Flush(ctx, "r1"); err == nil {
		t.Fatal("the flush whose reply was lost reported success")
	}
	queue("d")
	if _, err := w.svc.Flush(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	if _, merged, shown := w.giftMessages(t); shown != 4 || merged != 2 {
		t.Fatalf("%d merged messages showed %d gifts, want 2 showing the 4 queued", merged, shown)
	}
}

// TestAStormsGiftMessagesAreSpreadOverTheSecond sends more gifts at the start of a second than the
// room's budget lets through on their own: those that go on their own reach IM spread over the
// second, the k-th no sooner than k/8 of it (8 of the budget of 10 are for single gifts), so that
// none is sent late enough to fall in the next second with that second's own.
func TestAStormsGiftMessagesAreSpreadOverTheSecond(t *testing.T) {
	w := newWorld(t, 10)
	const viewers = 20
	for i := range viewers {
		w.viewer(t, fmt.Sprint("v", i), 100)
	}
	start := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(start))
	var wg sync.WaitGroup
	for i := range viewers {
		wg.Go(func() {
			if _, err := w.svc.Send(context.Background(), gifts.SendParams{RoomID: "r1", UserID: fmt.Sprint("v", i), GiftID: "rose", Count: 1, Key: "k"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var singles []time.Time
	for _, m := range w.im.Messages("r1") {
		if m.From != admin && strings.Contains(string(m.Body[0].MsgContent), live.EventSendGift) {
			singles = append(singles, m.Time)
		}
	}
	slices.SortFunc(singles, time.Time.Compare)
	if len(singles) != 8 {
		t.Fatalf("%d gifts sent on their own in the second, want 8", len(singles))
	}
	for k, at := range singles {
		if early := start.Add(time.Duration(k) * time.Second / 8).Sub(at); early > 0 {
			t.Errorf("single gift %d reached IM %v into the second, %v before its turn", k, at.Sub(start), early)
		}
	}
	if _, _, shown := w.giftMessages(t); shown != viewers {
		t.Fatalf("%d gifts shown, want %d", shown, viewers)
	}
}

// TestMergedMessagesStayInsideIMsMessageSize queues gifts whose entries are long (URLs of the
// longest allowed size), and many short ones: each merged message stays within MaxMergedExt as
// the message carries it, IM takes them all, and every gift is shown.
func TestMergedMessagesStayInsideIMsMessageSize(t *testing.T) {
	ctx := context.Background()
	long := "https://img.example.com/a?b=1&c=" + strings.Repeat("a", live.MaxURLBytes-32)
	for _, c := range []struct {
		name string
		n    int
		gift live.Gift
	}{
		{"long entries", 12, live.Gift{GiftID: "crown", Name: "Crown", Price: 5, ImageURL: long, AnimationURL: long}},
		{"many short entries", 300, live.Gift{GiftID: "heart", Name: "\"Heart\"", Price: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 10)
			for i := range c.n {
				e := map[string]any{"op": fmt.Sprintf("op%03d", i), "userId": fmt.Sprintf("viewer-%03d", i), "gift": c.gift, "count": 1, "combo": 1}
				if err := w.kv.Put(ctx, fmt.Sprintf("giftpending/r1/000000000001.op%03d", i), mustJSON(t, e), 0); err != nil {
					t.Fatal(err)
				}
			}
			for range 5 {
				if _, err := w.svc.Flush(ctx, "r1"); err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range w.im.Messages("r1") {
				var cc tim.CustomContent
				if json.Unmarshal(m.Body[0].MsgContent, &cc) == nil && cc.Data == live.EventSendGift {
					if size := len(mustJSON(t, cc.Ext)) - 2; size > gifts.MaxMergedExt {
						t.Errorf("a merged Ext of %d bytes encoded, above %d", size, gifts.MaxMergedExt)
					}
				}
			}
			if _, merged, shown := w.giftMessages(t); shown != int64(c.n) || merged < 2 {
				t.Fatalf("%d merged messages showed %d gifts, want %d", merged, shown, c.n)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAGiftIMDropsForTheRoomsRateIsShownMerged fills the room's second with low-priority
// messages (level-ups, say), so that IM drops the next messages it takes: a gift dropped on its
// own is announced merged instead, and a merged message dropped is sent again, so that the gift
// is shown once all the same.
func TestAGiftIMDropsForTheRoomsRateIsShownMerged(t *testing.T) {
	w := newWorld(t, 10)
	w.viewer(t, "lee", 100)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 40 { // the stand-in's default, IM's 40 a second
		wg.Go(func() {
			if _, err := w.client.SendGroupMsg(ctx, tim.SendGroupMsgRequest{GroupID: "r1", Random: uint32(1000 + i), MsgPriority: tim.PriorityLow,
				MsgBody: []tim.MsgElem{tim.CustomElem(live.EventLevelUp, "{}")}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := w.svc.Send(ctx, gifts.SendParams{RoomID: "r1", UserID: "lee", GiftID: "rose", Count: 1, Key: "k"})
	if err != nil || !got.Merged {
		t.Fatalf("the gift IM dropped: %+v, %v; want it announced merged", got, err)
	}
	for range 3 {
		if _, err := w.svc.Flush(ctx, "r1"); err != nil {
			t.Fatal(err)
		}
	}
	if single, merged, shown := w.giftMessages(t); single != 0 || merged != 1 || shown != 1 {
		t.Fatalf("%d single, %d merged messages showing %d gifts; want the gift shown once, merged", single, merged, shown)
	}
}
