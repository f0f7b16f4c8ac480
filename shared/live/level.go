package live

import (
	"fmt"
	"math"
)

// LevelRules turn activities into experience (XP) and XP into levels.
type LevelRules struct {
	// XP is what one unit of each kind earns; for gifts a unit is one coin.
	XP map[ActivityKind]int64
	// DailyCap bounds the XP one user can earn from one kind in one day (UTC), so that spamming
	// likes or messages does not farm levels. A kind without a cap is unbounded: by default only
	// the kinds the server attests (gifts and purchases, which cost money) are.
	DailyCap map[ActivityKind]int64
	// MaxAmount is the largest Amount a single activity may carry; larger ones are refused.
	MaxAmount int64
	// Thresholds[i] is the total XP needed to reach level i+2: level 1 needs nothing. It is
	// strictly increasing, and its length + 1 is the highest level.
	Thresholds []int64
}

// DefaultLevelRules returns rules that suit a typical live-selling room: chatting and liking
// raise a viewer a few levels over a live stream, purchases and gifts raise them much faster.
// Every kind that comes from client messages (ClientKinds) has a daily cap.
func DefaultLevelRules() LevelRules {
	return LevelRules{
		XP: map[ActivityKind]int64{
			KindChat: 2, KindLike: 1, KindCoupon: 10, KindFollow: 20, KindGift: 1, KindPurchase: 50,
		},
		DailyCap: map[ActivityKind]int64{
			KindChat: 200, KindLike: 100, KindCoupon: 100, KindFollow: 100,
		},
		MaxAmount:  1_000_000,
		Thresholds: QuadraticThresholds(50, 60),
	}
}

// QuadraticThresholds returns thresholds where level L needs base·(L−1)² XP, up to maxLevel.
func QuadraticThresholds(base int64, maxLevel int) []int64 {
	t := make([]int64, 0, maxLevel-1)
	for l := int64(2); l <= int64(maxLevel); l++ {
		t = append(t, base*(l-1)*(l-1))
	}
	return t
}

// Validate reports the first problem that makes the rules unusable.
func (r LevelRules) Validate() error {
	if len(r.Thresholds) == 0 {
		return Errorf(EInvalid, "The level curve has no thresholds.")
	}
	for i, t := range r.Thresholds {
		if t <= 0 || (i > 0 && t <= r.Thresholds[i-1]) {
			return Errorf(EInvalid, "The level curve must increase strictly; threshold %d is %d.", i+1, t)
		}
	}
	for k, xp := range r.XP {
		if xp < 0 {
			return Errorf(EInvalid, "XP for %s is negative.", k)
		}
	}
	if r.MaxAmount <= 0 {
		return Errorf(EInvalid, "MaxAmount must be positive.")
	}
	return nil
}

// MaxLevel is the highest level the rules reach.
func (r LevelRules) MaxLevel() int { return len(r.Thresholds) + 1 }

// Level returns the level for a total of xp, and the total XP the next level needs (0 at the
// highest level).
func (r LevelRules) Level(xp int64) (level int, nextLevelXP int64) {
	level = 1
	for _, t := range r.Thresholds {
		if xp < t {
			return level, t
		}
		level++
	}
	return level, 0
}

// Earn returns the XP an activity earns, given the XP the user already earned today from that
// kind. It refuses unknown kinds and amounts that are not positive or exceed MaxAmount.
func (r LevelRules) Earn(a Activity, earnedToday int64) (int64, error) {
	per, ok := r.XP[a.Kind]
	if !ok {
		return 0, Errorf(EInvalid, "Unknown activity kind %q.", a.Kind)
	}
	if a.Amount <= 0 || a.Amount > r.MaxAmount {
		return 0, Errorf(EInvalid, "Amount %d is out of range (1 to %d).", a.Amount, r.MaxAmount)
	}
	xp := per * a.Amount
	if per != 0 && xp/per != a.Amount { // overflow
		xp = math.MaxInt64
	}
	if limit, capped := r.DailyCap[a.Kind]; capped {
		left := max(limit-earnedToday, 0)
		xp = min(xp, left)
	}
	return xp, nil
}

// String describes the curve briefly, for logs.
func (r LevelRules) String() string {
	return fmt.Sprintf("levels 1–%d, level 2 at %d XP, top level at %d XP", r.MaxLevel(), r.Thresholds[0], r.Thresholds[len(r.Thresholds)-1])
}
