package liketotal

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store/memstore"
)

var ctx = context.Background()

// jobs records what an Elector publishes.
type jobs struct {
	mu  sync.Mutex
	got []live.Activity
}

func (j *jobs) Publish(_ context.Context, as ...live.Activity) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.got = append(j.got, as...)
	return nil
}

func (j *jobs) list() []live.Activity {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]live.Activity(nil), j.got...)
}

func TestOneJobASlotAcrossInstances(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	kv := memstore.New(clk.Now)
	published := &jobs{}
	a := NewElector(kv, published, 3*time.Second, clk.Now)
	b := NewElector(kv, published, 3*time.Second, clk.Now)

	for i := range 100 {
		e := a
		if i%2 == 1 {
			e = b
		}
		if err := e.Liked(ctx, "room-1"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(20 * time.Millisecond) // 100 likes over 2 s: one slot
	}
	if got := published.list(); len(got) != 1 {
		t.Fatalf("%d jobs for one slot, want 1", len(got))
	} else if want := start.Add(3 * time.Second); !got[0].NotBefore.Equal(want) || got[0].Kind != live.KindLikeTotal || got[0].RoomID != "room-1" {
		t.Fatalf("job %+v, want one due at %s", got[0], want)
	}
	// Each instance asked the store once; every other like cost no store call.
	if n := kv.Calls("PutIfAbsent"); n != 2 {
		t.Fatalf("%d PutIfAbsent calls for 100 likes on two instances, want 2", n)
	}

	clk.Set(start.Add(3 * time.Second)) // the next slot
	_ = a.Liked(ctx, "room-1")
	_ = b.Liked(ctx, "room-2")
	clk.Set(start.Add(9 * time.Second)) // a slot after a quiet one
	_ = b.Liked(ctx, "room-1")
	got := published.list()
	if len(got) != 4 {
		t.Fatalf("jobs %+v, want one per room and slot with likes", got)
	}
	for i, want := range []time.Duration{6 * time.Second, 6 * time.Second, 12 * time.Second} {
		if !got[i+1].NotBefore.Equal(start.Add(want)) {
			t.Errorf("job %d due %s, want %s", i+1, got[i+1].NotBefore, start.Add(want))
		}
	}
}

// field records the like totals set in IM.
type field struct {
	mu   sync.Mutex
	sets []string
	fail error
}

func (f *field) SetGroupField(_ context.Context, group, key, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.sets = append(f.sets, group+" "+key+"="+value)
	return nil
}

func TestThePublisherWaitsForTheSlotAndPublishesTheExactTotalOnce(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	kv := memstore.New(clk.Now)
	stats := roomstats.New(kv, 0)
	im := &field{}
	var waited time.Duration
	p := &Publisher{Counts: stats, KV: kv, IM: im, Field: "LIKE_TOTAL", Now: clk.Now,
		Sleep: func(_ context.Context, d time.Duration) error { waited += d; clk.Advance(d); return nil }}

	if _, err := stats.AddLikes(ctx, "room-1", 41); err != nil {
		t.Fatal(err)
	}
	job := live.Activity{ID: "liketotal/room-1/1", RoomID: "room-1", Kind: live.KindLikeTotal, NotBefore: start.Add(2 * time.Second)}
	if failed, err := p.Apply(ctx, []live.Activity{job, job}); err != nil || len(failed) != 0 {
		t.Fatalf("failed %v, %v", failed, err)
	}
	if waited != 2*time.Second {
		t.Errorf("waited %s for a job due in 2s", waited)
	}
	// A redelivered job, or a late one with no new likes, costs no IM call.
	if _, err := p.Apply(ctx, []live.Activity{job}); err != nil {
		t.Fatal(err)
	}
	if _, err := stats.AddLikes(ctx, "room-1", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(ctx, []live.Activity{{ID: "liketotal/room-1/2", RoomID: "room-1", Kind: live.KindLikeTotal}}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"room-1 LIKE_TOTAL=41", "room-1 LIKE_TOTAL=42"}; len(im.sets) != 2 || im.sets[0] != want[0] || im.sets[1] != want[1] {
		t.Fatalf("IM got %v, want %v", im.sets, want)
	}

	// IM failing: the job is reported failed, and published when it comes again.
	_, _ = stats.AddLikes(ctx, "room-1", 8)
	im.fail = errors.New("IM down")
	retry := live.Activity{ID: "liketotal/room-1/3", RoomID: "room-1", Kind: live.KindLikeTotal}
	if failed, _ := p.Apply(ctx, []live.Activity{retry}); len(failed) != 1 || failed[0] != retry.ID {
		t.Fatalf("failed %v, want the job", failed)
	}
	im.fail = nil
	if failed, _ := p.Apply(ctx, []live.Activity{retry}); len(failed) != 0 || im.sets[len(im.sets)-1] != "room-1 LIKE_TOTAL="+strconv.Itoa(50) {
		t.Fatalf("after the retry IM got %v", im.sets)
	}
}

type applier struct{ got []live.Activity }

func (a *applier) Apply(_ context.Context, batch []live.Activity) ([]string, error) {
	a.got = append(a.got, batch...)
	return nil, nil
}

func TestSplitHandsEachKindToItsConsumer(t *testing.T) {
	levels, totals := &applier{}, &applier{}
	batch := []live.Activity{{ID: "c", Kind: live.KindChat}, {ID: "t", Kind: live.KindLikeTotal}, {ID: "l", Kind: live.KindLike}}
	if failed, err := Split(levels, totals).Apply(ctx, batch); err != nil || len(failed) != 0 {
		t.Fatal(failed, err)
	}
	if len(levels.got) != 2 || len(totals.got) != 1 || totals.got[0].ID != "t" {
		t.Fatalf("levels %v, totals %v", levels.got, totals.got)
	}
}

func TestAJobHeldUpBehindOthersKeepsTheIntervalFromTheLastUpdate(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	kv := memstore.New(clk.Now)
	stats := roomstats.New(kv, 0)
	im := &field{}
	var waits []time.Duration
	p := &Publisher{Counts: stats, KV: kv, IM: im, Field: "LIKE_TOTAL", Now: clk.Now,
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); clk.Advance(d); return nil }}
	job := func(id string) live.Activity {
		return live.Activity{ID: id, RoomID: "room-1", Kind: live.KindLikeTotal, NotBefore: clk.Now(), Amount: 3000}
	}
	_, _ = stats.AddLikes(ctx, "room-1", 5)
	if _, err := p.Apply(ctx, []live.Activity{job("j1")}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(400 * time.Millisecond) // the next slot's job came late, right after the first
	_, _ = stats.AddLikes(ctx, "room-1", 5)
	if _, err := p.Apply(ctx, []live.Activity{job("j2")}); err != nil {
		t.Fatal(err)
	}
	if len(im.sets) != 2 || im.sets[1] != "room-1 LIKE_TOTAL=10" {
		t.Fatalf("IM got %v", im.sets)
	}
	if len(waits) != 1 || waits[0] != 2600*time.Millisecond {
		t.Fatalf("waited %v, want the 2.6s left of the interval", waits)
	}
}
