package levelupdater

import (
	"slices"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
)

func env(vars map[string]string) *config.Loader {
	return config.NewLoader(func(name string) string { return vars[name] })
}

func TestRulesFromEnvDefaults(t *testing.T) {
	l := env(nil)
	got := loadRules(l)
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	want := live.DefaultLevelRules()
	if got.String() != want.String() || got.MaxAmount != want.MaxAmount || got.XP[live.KindBuy] != 50 || got.DailyCap[live.KindLike] != 100 {
		t.Errorf("defaults %v, want %v", got, want)
	}
	if cfg := loadLevels(env(nil)); cfg.Remember != levels.DefaultRemember {
		t.Errorf("Remember %d, want %d", cfg.Remember, levels.DefaultRemember)
	}
}

func TestRulesFromEnvOverrides(t *testing.T) {
	l := env(map[string]string{
		"LEVEL_XP":         "chat=3, LIKE=2,follow=0",
		"LEVEL_DAILY_CAP":  "like=40,gift=500,chat=none",
		"LEVEL_THRESHOLDS": "10, 30,100",
		"LEVEL_MAX_AMOUNT": "5000",
		"LEVEL_REMEMBER":   "64",
	})
	cfg := loadLevels(l)
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	r := cfg.Rules
	if r.XP[live.KindChat] != 3 || r.XP[live.KindLike] != 2 || r.XP[live.KindFollow] != 0 || r.XP[live.KindBuy] != 50 {
		t.Errorf("XP %v", r.XP)
	}
	if _, capped := r.DailyCap[live.KindChat]; capped || r.DailyCap[live.KindLike] != 40 || r.DailyCap[live.KindGift] != 500 {
		t.Errorf("DailyCap %v", r.DailyCap)
	}
	if !slices.Equal(r.Thresholds, []int64{10, 30, 100}) || r.MaxLevel() != 4 || r.MaxAmount != 5000 || cfg.Remember != 64 {
		t.Errorf("rules %v, max amount %d, remember %d", r, r.MaxAmount, cfg.Remember)
	}

	l = env(map[string]string{"LEVEL_CURVE_BASE": "10", "LEVEL_MAX": "3"})
	if r := loadRules(l); l.Err() != nil || !slices.Equal(r.Thresholds, []int64{10, 40}) {
		t.Errorf("curve thresholds %v, err %v", r.Thresholds, l.Err())
	}
}

func TestRulesFromEnvReportsEveryProblem(t *testing.T) {
	l := env(map[string]string{
		"LEVEL_XP":         "likes=1,chat=-2,gift",
		"LEVEL_DAILY_CAP":  "like=lots",
		"LEVEL_THRESHOLDS": "10,10",
		"LEVEL_MAX":        "5",
		"LEVEL_MAX_AMOUNT": "0",
	})
	loadRules(l)
	err := l.Err()
	if err == nil {
		t.Fatal("bad level settings were accepted")
	}
	for _, want := range []string{
		`LEVEL_XP entry 1 is "likes=1"`, `LEVEL_XP entry 2 is "chat=-2"`, `LEVEL_XP entry 3 is "gift"`,
		`LEVEL_DAILY_CAP entry 1`, "LEVEL_THRESHOLDS must increase strictly", "either the thresholds or the curve",
		"LEVEL_MAX_AMOUNT",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %q:\n%v", want, err)
		}
	}
}
