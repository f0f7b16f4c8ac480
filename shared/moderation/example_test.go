package moderation_test

import (
	"fmt"
	"strings"

	"github.com/uriba-live/uriba/shared/moderation"
)

func Example() {
	list, report, err := moderation.ParseWordList(strings.NewReader(`# banned
加微信
scam link
ass
!class
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(report.Words, "words,", report.Allow, "allow entry")

	m := moderation.Compile(list)
	for _, msg := range []string{"主播，加 微 信 领券", "ｓｃａｍ ｌｉｎｋ here", "first class seats"} {
		masked, hit := m.Mask(msg)
		fmt.Printf("%v %s\n", hit, masked)
	}
	// Output:
	// 3 words, 1 allow entry
	// true 主播，***** 领券
	// true ********* here
	// false first class seats
}

func ExampleMatcher_Find() {
	m := moderation.Compile(moderation.WordList{Words: []string{"裏垢", "加微信"}})
	text := "裏.垢はこちら、加\u200b微信"
	for _, h := range m.Find(text, nil) {
		fmt.Printf("%s at [%d, %d): %q\n", h.Word, h.Start, h.End, text[h.Start:h.End])
	}
	// Output:
	// 裏垢 at [0, 7): "裏.垢"
	// 加微信 at [22, 34): "加\u200b微信"
}
