package live

import "testing"

func TestLevelCurve(t *testing.T) {
	r := DefaultLevelRules()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		xp         int64
		level      int
		nextLevelX int64
	}{
		{0, 1, 50}, {49, 1, 50}, {50, 2, 200}, {199, 2, 200}, {200, 3, 450},
		{50 * 59 * 59, 60, 0}, {1 << 62, 60, 0},
	} {
		level, next := r.Level(c.xp)
		if level != c.level || next != c.nextLevelX {
			t.Errorf("Level(%d) = %d, %d; want %d, %d", c.xp, level, next, c.level, c.nextLevelX)
		}
	}
	if r.MaxLevel() != 60 {
		t.Fatalf("max level %d", r.MaxLevel())
	}
}

func TestEarnAppliesDailyCapsAndRefusesBadAmounts(t *testing.T) {
	r := DefaultLevelRules()
	for _, c := range []struct {
		name   string
		a      Activity
		today  int64
		want   int64
		refuse bool
	}{
		{"chat", Activity{Kind: KindChat, Amount: 1}, 0, 2, false},
		{"chat near the cap", Activity{Kind: KindChat, Amount: 1}, 199, 1, false},
		{"chat over the cap", Activity{Kind: KindChat, Amount: 1}, 200, 0, false},
		{"likes in bulk are capped", Activity{Kind: KindLike, Amount: 500}, 0, 100, false},
		{"gift coins are uncapped", Activity{Kind: KindGift, Amount: 5000}, 1_000_000, 5000, false},
		{"unknown kind", Activity{Kind: "dance", Amount: 1}, 0, 0, true},
		{"zero amount", Activity{Kind: KindChat, Amount: 0}, 0, 0, true},
		{"negative amount", Activity{Kind: KindGift, Amount: -10}, 0, 0, true},
		{"absurd amount", Activity{Kind: KindGift, Amount: 1 << 40}, 0, 0, true},
	} {
		got, err := r.Earn(c.a, c.today)
		if (err != nil) != c.refuse || got != c.want {
			t.Errorf("%s: Earn = %d, %v; want %d, refused %v", c.name, got, err, c.want, c.refuse)
		}
	}
}

func TestValidateRefusesBrokenCurves(t *testing.T) {
	for _, th := range [][]int64{nil, {0}, {10, 10}, {10, 5}} {
		r := DefaultLevelRules()
		r.Thresholds = th
		if r.Validate() == nil {
			t.Errorf("thresholds %v accepted", th)
		}
	}
}

func TestEveryKindFromClientMessagesIsCappedByDefault(t *testing.T) {
	r := DefaultLevelRules()
	for _, k := range ClientKinds {
		if !k.FromClient() {
			t.Errorf("%s is listed among ClientKinds but FromClient denies it", k)
		}
		if _, earns := r.XP[k]; !earns {
			t.Errorf("%s earns nothing by default", k)
		}
		if limit, capped := r.DailyCap[k]; !capped || limit <= 0 {
			t.Errorf("%s comes from client messages and has no daily cap (%d)", k, limit)
		}
		if xp, _ := r.Earn(Activity{Kind: k, Amount: r.MaxAmount}, 0); xp > r.DailyCap[k] {
			t.Errorf("one %s activity earned %d XP, over its cap of %d", k, xp, r.DailyCap[k])
		}
	}
	for k := range r.XP {
		if _, capped := r.DailyCap[k]; !capped && k.FromClient() {
			t.Errorf("%s is uncapped", k)
		}
	}
	for _, k := range []ActivityKind{KindGift, KindPurchase, "buy"} {
		if k.FromClient() {
			t.Errorf("%s counted as a kind clients produce", k)
		}
	}
	if r.XP[KindPurchase] != 50 {
		t.Errorf("a purchase earns %d XP, want 50", r.XP[KindPurchase])
	}
	if _, known := r.XP["buy"]; known {
		t.Error(`the retired kind "buy", which client messages used to produce, still earns XP`)
	}
}
