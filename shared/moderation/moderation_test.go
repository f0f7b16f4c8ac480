package moderation_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/uriba-live/uriba/shared/moderation"
)

// testList is the list of the table tests.
var testList = moderation.WordList{
	Words: []string{"scam", "scam link", "加微信", "微信", "微信号", "裏垢", "死ね", "ガキ", "パパ活", "キモい",
		"ass", "asshole", "ok", "平成", "株式", "fuck"},
	Allow: []string{"class", "assist", "死ねない", "glass"},
}

var testMatcher = moderation.Compile(testList)

// TestEvasions checks each evasion on its own: the hit, and the exact masking.
func TestEvasions(t *testing.T) {
	for _, tc := range []struct {
		name, text, word, masked string
	}{
		{"plain", "this is a scam", "scam", "this is a ****"},
		{"full-width ASCII", "ｓｃａｍ", "scam", "****"},
		{"full-width upper case", "ＳＣＡＭ!", "scam", "****!"},
		{"upper case", "SCAM", "scam", "****"},
		{"mixed case", "ScAm", "scam", "****"},
		{"hyphens", "S-C-A-M", "scam", "*******"},
		{"spaces", "omg s c a m", "scam", "omg *******"},
		{"dots", "s.c.a.m.", "scam", "*******."},
		{"diacritics", "scám", "scam", "****"},
		{"emoji between letters", "s😀c😀a😀m", "scam", "*******"},
		{"entry with a space, written together", "scamlink here", "scam link", "******** here"},
		{"entry with a space, spaced out", "s c a m  l i n k", "scam link", "****************"},
		{"CJK with spaces", "请加 微 信", "加微信", "请*****"},
		{"CJK with dots", "加.微.信", "加微信", "*****"},
		{"CJK with ideographic spaces", "加\u3000微\u3000信", "加微信", "*****"},
		{"zero-width space", "加\u200b微信", "加微信", "****"},
		{"zero-width joiner and word joiner", "加\u200d微\u2060信", "加微信", "*****"},
		{"byte order mark", "加\ufeff微信", "加微信", "****"},
		{"variation selectors", "加\ufe0f微\ufe0e信", "加微信", "*****"},
		{"emoji", "加😀微🔥信", "加微信", "*****"},
		{"punctuation", "加、微。信！", "加微信", "*****！"},
		{"half-width katakana", "ｶﾞｷかよ", "ガキ", "***かよ"},
		{"half-width katakana, sound mark", "ﾊﾟﾊﾟ活してる", "パパ活", "*****してる"},
		{"combining sound mark", "か\u3099き", "ガキ", "***"},
		{"spacing sound mark", "か゛き", "ガキ", "***"},
		{"sound mark past a zero-width space", "ｶ\u200bﾞｷ", "ガキ", "****"},
		{"hiragana for katakana", "がき", "ガキ", "**"},
		{"katakana for hiragana", "キモイ", "キモい", "***"},
		{"squared era name", "㍻生まれ", "平成", "*生まれ"},
		{"parenthesised ideograph", "㈱式会社", "株式", "**会社"},
		{"word at the start", "裏垢はこちら", "裏垢", "**はこちら"},
		{"word at the end", "こちらは裏垢", "裏垢", "こちらは**"},
		{"word alone", "死ね", "死ね", "**"},
		{"bad bytes around", "\xff加微信\xfe", "加微信", "\xff***\xfe"},
		{"spelled out after a separator", "it's s c a m", "scam", "it's *******"},
		{"allow entry spelled out", "c l a s s", "ass", "c l *****"},
		// Characters that render as nothing are removed, even in one gap of a Latin word.
		{"one zero-width space in a Latin word", "this is a sc\u200bam", "scam", "this is a *****"},
		{"one zero-width non-joiner", "s\u200ccam", "scam", "*****"},
		{"one zero-width joiner", "sca\u200dm", "scam", "*****"},
		{"one word joiner", "sc\u2060am", "scam", "*****"},
		{"one soft hyphen", "hi s\u00adcam!", "scam", "hi *****!"},
		{"one byte order mark", "sca\ufeffm", "scam", "*****"},
		{"one invisible operator", "sc\u2062am", "scam", "*****"},
		{"bidi controls", "s\u202ac\u202cam", "scam", "******"},
		{"one variation selector", "sca\ufe0fm", "scam", "*****"},
		{"one tag character", "s\U000e0041cam", "scam", "*****"},
		{"Mongolian vowel separator", "sc\u180eam", "scam", "*****"},
		{"decomposed diacritic", "sca\u0301m", "scam", "*****"},
		{"invisible characters in a spelled-out word", "s c\u200b \u00ada m", "scam", "*********"},
		{"several invisible characters in one gap", "f\u200b\u200c\u200duck", "fuck", "*******"},
		{"invisible character in an entry with a space", "scam\u00ad link", "scam link", "**********"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := testMatcher.Find(tc.text, nil)
			if !slices.ContainsFunc(hits, func(h moderation.Match) bool { return h.Word == tc.word }) {
				t.Errorf("Find(%q) = %v, want a hit on %q", tc.text, hits, tc.word)
			}
			if !testMatcher.Contains(tc.text) {
				t.Errorf("Contains(%q) = false", tc.text)
			}
			masked, hit := testMatcher.Mask(tc.text)
			if masked != tc.masked || !hit {
				t.Errorf("Mask(%q) = %q, %v; want %q, true", tc.text, masked, hit, tc.masked)
			}
		})
	}
}

// TestNoHit checks text that must not be hit.
func TestNoHit(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"empty", ""},
		{"clean", "今天的直播几点开始？"},
		{"allow entry", "my class starts at nine"},
		{"allow entry in upper case", "GLASS BOTTLE"},
		{"another allow entry", "can you assist me"},
		{"Japanese allow entry", "まだ死ねない"},
		{"spaces between Latin words", "it was steady"},
		{"inconsistent spacing", "sc am"},
		{"spelled-out word glued to a letter", "go keep"},
		{"kanji are not read", "うらあか"},
		{"letters between the characters", "加x微x信"},
		{"bad byte between the characters", "加\xff微\xfe信"},
		{"truncated rune", "加微\xe4\xbf"},
		{"only separators", " \u3000.\u200b😀"},
		{"voiced mark changes the kana", "かき"},
		{"invisible character does not separate Latin words", "it was\u200b steady"},
		{"invisible character keeps an allow entry whole", "gl\u00adass"},
		{"spelled-out word glued by an invisible character", "go\u200b k e e p"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if hits := testMatcher.Find(tc.text, nil); len(hits) > 0 {
				t.Errorf("Find(%q) = %v, want no hit", tc.text, hits)
			}
			if testMatcher.Contains(tc.text) {
				t.Errorf("Contains(%q) = true", tc.text)
			}
			if masked, hit := testMatcher.Mask(tc.text); masked != tc.text || hit {
				t.Errorf("Mask(%q) = %q, %v", tc.text, masked, hit)
			}
		})
	}
}

func TestFindPositions(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []moderation.Match
	}{
		// Overlapping words are all reported, by end, longest first.
		{"加微信号", []moderation.Match{{0, 9, "加微信"}, {3, 9, "微信"}, {3, 12, "微信号"}}},
		{"asshole", []moderation.Match{{0, 3, "ass"}, {0, 7, "asshole"}}},
		// Separators around a hit are not part of it; those inside are.
		{"。加 微信。", []moderation.Match{{3, 13, "加微信"}, {7, 13, "微信"}}},
		// A banned word inside an allow entry does not count; one outside does.
		{"死ねない死ね", []moderation.Match{{12, 18, "死ね"}}},
		{"class ass", []moderation.Match{{6, 9, "ass"}}},
		// Multibyte text before and after.
		{"ｈｉ scam ｈｉ", []moderation.Match{{7, 11, "scam"}}},
	} {
		if got := testMatcher.Find(tc.text, nil); !slices.Equal(got, tc.want) {
			t.Errorf("Find(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestFindAppends(t *testing.T) {
	dst := []moderation.Match{{1, 2, "x"}}
	got := testMatcher.Find("scam", dst)
	if len(got) != 2 || got[0] != dst[0] || got[1].Word != "scam" {
		t.Errorf("Find appended %v to %v", got, dst)
	}
}

func TestMaskOverlapping(t *testing.T) {
	masked, hit := testMatcher.Mask("前缀加微信号后缀")
	if want := "前缀****后缀"; masked != want || !hit {
		t.Errorf("Mask = %q, %v; want %q", masked, hit, want)
	}
}

// TestAllocations checks that matching allocates nothing but Mask's result.
func TestAllocations(t *testing.T) {
	clean := strings.Repeat("今日の配信も楽しみ！ Is the blue one in stock? 这件有M码吗 ", 4)
	dirty := clean + "加 微 信"
	for _, tc := range []struct {
		name string
		f    func()
		want float64
	}{
		{"Contains clean", func() { testMatcher.Contains(clean) }, 0},
		{"Contains dirty", func() { testMatcher.Contains(dirty) }, 0},
		{"Find clean", func() { testMatcher.Find(clean, nil) }, 0},
		{"Mask clean", func() { testMatcher.Mask(clean) }, 0},
		{"Mask dirty", func() { testMatcher.Mask(dirty) }, 1},
	} {
		if got := testing.AllocsPerRun(100, tc.f); got != tc.want {
			t.Errorf("%s: %v allocations, want %v", tc.name, got, tc.want)
		}
	}
}

// TestConcurrent uses one Matcher from many goroutines, for the race detector.
func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if !testMatcher.Contains("加 微 信") || testMatcher.Contains("hello") {
					t.Error("wrong answer")
					return
				}
				testMatcher.Mask("ｓｃａｍ")
			}
		})
	}
	wg.Wait()
}

func TestEmptyMatcher(t *testing.T) {
	m := moderation.Compile(moderation.WordList{})
	if m.Contains("anything") || len(m.Find("anything", nil)) > 0 {
		t.Error("an empty list matched")
	}
	m = moderation.Compile(moderation.WordList{Words: []string{"!!!", "\u200b", ""}})
	if m.Contains("!!! \u200b") {
		t.Error("entries that fold to nothing matched")
	}
}

func TestSingleCharacterWord(t *testing.T) {
	m := moderation.Compile(moderation.WordList{Words: []string{"屎", "x"}})
	if got := m.Find("吃屎吧", nil); !slices.Equal(got, []moderation.Match{{3, 6, "屎"}}) {
		t.Errorf("Find = %v", got)
	}
	if masked, _ := m.Mask("Ｘ marks"); masked != "* marks" {
		t.Errorf("Mask = %q", masked)
	}
}

func TestDefaultWordList(t *testing.T) {
	l := moderation.DefaultWordList()
	if len(l.Words) < 40 || len(l.Allow) == 0 {
		t.Fatalf("DefaultWordList has %d words and %d allow entries", len(l.Words), len(l.Allow))
	}
	m := moderation.Compile(l)
	for _, text := range []string{"加 微 信", "裏垢", "ｓｃａｍ ｌｉｎｋ", "死ね", "W-H-A-T-S-A-P-P me"} {
		if !m.Contains(text) {
			t.Errorf("the default list misses %q", text)
		}
	}
	for _, text := range []string{"a classic glass", "去死皮磨砂膏", "まだ死ねない", "買ったばかり"} {
		if hits := m.Find(text, nil); len(hits) > 0 {
			t.Errorf("the default list hits %q: %v", text, hits)
		}
	}
}

// TestAKanaJoinedByASoundMarkDeepInAWordIsFound holds a word whose kana takes its sound mark
// from the next character, with three or more characters before it: the quick pass must not take
// the bare kana for a mismatch.
func TestAKanaJoinedByASoundMarkDeepInAWordIsFound(t *testing.T) {
	for _, w := range []string{"abc@ｶﾞdef", "ggg ｶﾞggg", "sale カ゛ cheap", "ggg@ｶﾞggggggg@ggggggggCCCCCCCgdggggg",
		// Compatibility kana (circled, squared) take a sound mark as the kana they fold to do.
		"㋙゙", "x㋕゛き", "㋩ ﾟ", "🈂゙"} {
		m := moderation.Compile(moderation.WordList{Words: []string{w}})
		if !m.Contains(w) {
			t.Errorf("a Matcher of %q does not find it in itself", w)
		}
		if !m.Contains("buy " + w + " now") {
			t.Errorf("a Matcher of %q does not find it in a message", w)
		}
	}
}
