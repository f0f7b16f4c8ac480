// Package moderationtest generates the inputs of the tests and benchmarks of package moderation
// and of the comparison in scripts/bench: a large word list of made-up Chinese, Japanese and
// Latin-script words, and chat messages with and without one of those words. Everything is
// deterministic for a given seed. It is meant for tests only.
package moderationtest

import (
	"math/rand/v2"
	"strings"
	"unicode/utf8"

	"github.com/uriba-live/uriba/shared/moderation"
)

// Corpus is a generated word list with messages to match against it.
type Corpus struct {
	Words []string // the banned words
	Clean []string // messages that contain none of the words, even after folding
	Dirty []string // messages that contain one word each, written as listed
}

// hanzi are common Chinese characters the made-up Chinese words are drawn from.
const hanzi = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理世车"

// japanese are the kana and kanji the made-up Japanese words are drawn from.
const (
	hiragana = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞだでどばびぶべぼぱぴぷぺぽ"
	katakana = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボパピプペポー"
	kanji    = "裏垢詐欺金儲副業稼即日現払込振口座番号連絡先交換登録無料当選景品換金闇営業違法薬物危険禁止秘密限定特典"
)

// syllables build the made-up Latin-script words.
var syllables = strings.Fields("ka ko ku zu zo xi xa qu vo vy jo ju ze zi kr tr fl gr dr bl pl ov ix ax ex oz uz yg yx wq")

// phrases are ordinary live-shopping chat lines that messages are made of.
var phrases = []string{
	"主播好！今天的口红有什么色号？", "这件外套还有M码吗", "刚下单了，什么时候发货呀", "链接在哪里，找不到",
	"颜色和图片一样吗？", "已经关注啦，期待明天的直播", "这个价格太划算了", "能不能再讲一下材质",
	"我买了三件，包邮吗", "主播穿的是哪个尺码", "孩子很喜欢上次买的书包", "求返场！上次没抢到",
	"こんばんは！今日も楽しみにしてました", "このバッグの色違いはありますか", "サイズ感を教えてください",
	"送料はいくらですか？", "さっき購入しました、届くのが楽しみ", "前回のセーター、すごく暖かかったです",
	"在庫はまだありますか", "もう一度素材の説明をお願いします", "かわいい！ピンクも見たいです", "いつもありがとうございます",
	"Hi everyone, just joined the stream!", "Is the blue one still in stock?", "What size is the model wearing?",
	"Just ordered two, can't wait", "Does it come with free shipping?", "Can you show the back of the jacket?",
	"Love this color so much", "How long does delivery take to Canada?", "Is it machine washable?",
	"Please restock the small size", "Thanks for the discount code!", "The fabric looks really soft",
}

// Generate returns a corpus of n words and 64 clean and 64 dirty messages of at most size bytes.
func Generate(n, size int, seed uint64) Corpus {
	rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	c := Corpus{Words: words(rng, n)}

	// Drop the words that occur in the phrases, then keep only the messages that stay clean.
	m := moderation.Compile(moderation.WordList{Words: c.Words})
	bad := make(map[string]bool)
	var hits []moderation.Match
	for _, p := range phrases {
		hits = m.Find(p, hits[:0])
		for _, h := range hits {
			bad[h.Word] = true
		}
	}
	if len(bad) > 0 {
		kept := c.Words[:0]
		for _, w := range c.Words {
			if !bad[w] {
				kept = append(kept, w)
			}
		}
		c.Words = append(kept, words(rng, len(bad))...)
		m = moderation.Compile(moderation.WordList{Words: c.Words})
	}
	for len(c.Clean) < 64 {
		if msg := message(rng, size); !m.Contains(msg) {
			c.Clean = append(c.Clean, msg)
		}
	}
	for _, msg := range c.Clean {
		w := c.Words[rng.IntN(len(c.Words))]
		c.Dirty = append(c.Dirty, insert(rng, msg, w, size))
	}
	return c
}

// words makes n made-up words: about 40% Chinese, 30% Japanese and 30% Latin script.
func words(rng *rand.Rand, n int) []string {
	zh, hira, kata, kan := []rune(hanzi), []rune(hiragana), []rune(katakana), []rune(kanji)
	pick := func(rs []rune, k int) string {
		var b strings.Builder
		for range k {
			b.WriteRune(rs[rng.IntN(len(rs))])
		}
		return b.String()
	}
	seen := make(map[string]bool)
	out := make([]string, 0, n)
	for len(out) < n {
		var w string
		switch x := rng.IntN(10); {
		case x < 4:
			w = pick(zh, 2+rng.IntN(3))
		case x < 5:
			w = pick(hira, 3+rng.IntN(3))
		case x < 6:
			w = pick(kata, 3+rng.IntN(4))
		case x < 7:
			w = pick(kan, 1+rng.IntN(2)) + pick(hira, 1+rng.IntN(3))
		default:
			var b strings.Builder
			for range 3 + rng.IntN(3) {
				b.WriteString(syllables[rng.IntN(len(syllables))])
			}
			if rng.IntN(4) == 0 {
				b.WriteByte(' ')
				b.WriteString(syllables[rng.IntN(len(syllables))])
				b.WriteString(syllables[rng.IntN(len(syllables))])
			}
			w = b.String()
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// message joins random phrases of one language until the message is about size bytes long.
func message(rng *rand.Rand, size int) string {
	lang := rng.IntN(3)
	per := len(phrases) / 3
	var b strings.Builder
	for b.Len() < size {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(phrases[lang*per+rng.IntN(per)])
	}
	return truncate(b.String(), size)
}

// insert puts w into msg at a random rune boundary, keeping the message within size bytes.
func insert(rng *rand.Rand, msg, w string, size int) string {
	msg = truncate(msg, size-len(w))
	at := rng.IntN(len(msg) + 1)
	for at > 0 && at < len(msg) && !utf8.RuneStart(msg[at]) {
		at--
	}
	return msg[:at] + w + msg[at:]
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
