package levelupdater

import (
	"slices"
	"strconv"
	"strings"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
)

// Bounds of the level settings.
const (
	maxXPPerUnit   = 1_000_000
	maxDailyCap    = 1 << 40
	maxLevels      = 1000
	maxCurveBase   = 1_000_000_000
	maxAmountLimit = 1 << 40
)

// loadLevels reads the level rules of loadRules and LEVEL_REMEMBER.
func loadLevels(l *config.Loader) levels.Config {
	return levels.Config{
		Rules:    loadRules(l),
		Remember: l.Int("LEVEL_REMEMBER", levels.DefaultRemember, 16, 4096),
	}
}

// loadRules reads the level rules, starting from live.DefaultLevelRules:
//
//   - LEVEL_XP, such as "chat=2,like=1,buy=50": the XP of one unit of each listed kind; kinds not
//     listed keep their default, and 0 makes a kind earn nothing.
//   - LEVEL_DAILY_CAP, such as "chat=200,like=100,gift=none": the most XP one user earns from a
//     kind in a UTC day; "none" lifts the cap of a kind.
//   - LEVEL_THRESHOLDS, such as "50,200,450": the total XP of levels 2, 3, 4…, strictly
//     increasing; or else LEVEL_CURVE_BASE (default 50) and LEVEL_MAX (default 60) for the
//     curve where level L needs base·(L−1)² XP.
//   - LEVEL_MAX_AMOUNT (default 1000000): the largest amount one activity may carry.
//
// Problems are recorded in l, one sentence each.
func loadRules(l *config.Loader) live.LevelRules {
	rules := live.DefaultLevelRules()
	parseKindTable(l, "LEVEL_XP", rules.XP, maxXPPerUnit, false)
	parseKindTable(l, "LEVEL_DAILY_CAP", rules.DailyCap, maxDailyCap, true)

	thresholds := l.String("LEVEL_THRESHOLDS", "")
	base := l.Int("LEVEL_CURVE_BASE", 50, 1, maxCurveBase)
	top := l.Int("LEVEL_MAX", 60, 2, maxLevels)
	if thresholds != "" {
		if l.String("LEVEL_CURVE_BASE", "") != "" || l.String("LEVEL_MAX", "") != "" {
			l.Problemf("LEVEL_THRESHOLDS is set together with LEVEL_CURVE_BASE or LEVEL_MAX: set either the thresholds or the curve.")
		}
		rules.Thresholds = parseThresholds(l, thresholds)
	} else {
		rules.Thresholds = live.QuadraticThresholds(int64(base), top)
	}
	rules.MaxAmount = int64(l.Int("LEVEL_MAX_AMOUNT", int(rules.MaxAmount), 1, maxAmountLimit))
	if len(rules.Thresholds) > 0 {
		if err := rules.Validate(); err != nil {
			l.Problemf("The level rules are not valid: %s", live.ErrorMessage(err))
		}
	}
	return rules
}

// parseKindTable applies a "kind=value,…" variable to table. none allows the value "none",
// which removes the kind from the table.
func parseKindTable(l *config.Loader, name string, table map[live.ActivityKind]int64, limit int64, none bool) {
	raw := l.String(name, "")
	if raw == "" {
		return
	}
	for i, entry := range strings.Split(raw, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		k, v, ok := strings.Cut(entry, "=")
		kind := live.ActivityKind(strings.ToLower(strings.TrimSpace(k)))
		v = strings.TrimSpace(v)
		if !ok || !slices.Contains(levels.Kinds, kind) {
			l.Problemf("%s entry %d is %q: it must be kind=value with a kind among %s.", name, i+1, entry, kindList())
			continue
		}
		if none && strings.EqualFold(v, "none") {
			delete(table, kind)
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > limit {
			l.Problemf("%s entry %d is %q: the value must be a whole number from 0 to %d.", name, i+1, entry, limit)
			continue
		}
		table[kind] = n
	}
}

// parseThresholds parses LEVEL_THRESHOLDS.
func parseThresholds(l *config.Loader, raw string) []int64 {
	parts := strings.Split(raw, ",")
	if len(parts) >= maxLevels {
		l.Problemf("LEVEL_THRESHOLDS has %d entries: at most %d levels are allowed.", len(parts), maxLevels)
		return nil
	}
	out := make([]int64, 0, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || n <= 0 {
			l.Problemf("LEVEL_THRESHOLDS entry %d is %q: it must be a positive whole number of XP.", i+1, strings.TrimSpace(p))
			return nil
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			l.Problemf("LEVEL_THRESHOLDS must increase strictly; entry %d (%d) does not exceed the one before.", i+1, n)
			return nil
		}
		out = append(out, n)
	}
	return out
}

// kindList names the known kinds for messages.
func kindList() string {
	names := make([]string, len(levels.Kinds))
	for i, k := range levels.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
