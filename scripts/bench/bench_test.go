package bench

import (
	"runtime"
	"testing"

	bobu "github.com/BobuSumisu/aho-corasick"
	anknown "github.com/anknown/ahocorasick"
	cloudflare "github.com/cloudflare/ahocorasick"
	coregx "github.com/coregx/ahocorasick"
	petar "github.com/petar-dambovaliev/aho-corasick"

	"github.com/uriba-live/uriba/shared/moderation"
	"github.com/uriba-live/uriba/shared/moderation/moderationtest"
)

// The same inputs as the benchmarks of package moderation: 10,000 words, 200-byte messages.
const (
	words = 10_000
	size  = 200
	seed  = 20240601
)

// contender is one matcher under test: contains reports whether message i of the clean (or
// dirty) set holds a word.
type contender struct {
	name     string
	contains func(clean bool, i int) bool
}

// pick returns the clean or the dirty half of a pair.
func pick[T any](clean bool, c, d T) T {
	if clean {
		return c
	}
	return d
}

func contenders(tb testing.TB, c moderationtest.Corpus) []contender {
	var cleanBytes, dirtyBytes [][]byte
	var cleanRunes, dirtyRunes [][]rune
	for i := range c.Clean {
		cleanBytes = append(cleanBytes, []byte(c.Clean[i]))
		dirtyBytes = append(dirtyBytes, []byte(c.Dirty[i]))
		cleanRunes = append(cleanRunes, []rune(c.Clean[i]))
		dirtyRunes = append(dirtyRunes, []rune(c.Dirty[i]))
	}

	u := moderation.Compile(moderation.WordList{Words: c.Words})

	bt := bobu.NewTrieBuilder().AddStrings(c.Words).Build()

	cg, err := coregx.NewBuilder().AddStrings(c.Words).Build()
	if err != nil {
		tb.Fatal(err)
	}

	cf := cloudflare.NewStringMatcher(c.Words)

	pb := petar.NewAhoCorasickBuilder(petar.Opts{MatchKind: petar.StandardMatch, DFA: true})
	pt := pb.Build(c.Words)

	var ak anknown.Machine
	dict := make([][]rune, len(c.Words))
	for i, w := range c.Words {
		dict[i] = []rune(w)
	}
	if err := ak.Build(dict); err != nil {
		tb.Fatal(err)
	}

	// Building the automata leaves garbage; collect it now, not during the first benchmark.
	runtime.GC()
	return []contender{
		{"uriba", func(clean bool, i int) bool { return u.Contains(pick(clean, c.Clean, c.Dirty)[i]) }},
		{"bobusumisu", func(clean bool, i int) bool {
			return bt.MatchFirstString(pick(clean, c.Clean, c.Dirty)[i]) != nil
		}},
		{"coregx", func(clean bool, i int) bool { return cg.IsMatch(pick(clean, cleanBytes, dirtyBytes)[i]) }},
		{"cloudflare", func(clean bool, i int) bool { return cf.Contains(pick(clean, cleanBytes, dirtyBytes)[i]) }},
		{"petar", func(clean bool, i int) bool { return pt.Iter(pick(clean, c.Clean, c.Dirty)[i]).Next() != nil }},
		{"anknown", func(clean bool, i int) bool {
			return len(ak.MultiPatternSearch(pick(clean, cleanRunes, dirtyRunes)[i], true)) > 0
		}},
	}
}

// TestAgree checks that every contender sees the clean messages as clean and the dirty ones as
// dirty, so that the benchmarks compare like with like.
func TestAgree(t *testing.T) {
	c := moderationtest.Generate(words, size, seed)
	for _, ct := range contenders(t, c) {
		for i := range c.Clean {
			if ct.contains(true, i) {
				t.Errorf("%s: clean message %d has a hit: %q", ct.name, i, c.Clean[i])
			}
			if !ct.contains(false, i) {
				t.Errorf("%s: dirty message %d has no hit: %q", ct.name, i, c.Dirty[i])
			}
		}
	}
}

func BenchmarkContains(b *testing.B) {
	c := moderationtest.Generate(words, size, seed)
	cts := contenders(b, c)
	for _, kind := range []struct {
		name  string
		clean bool
	}{{"clean", true}, {"dirty", false}} {
		for _, ct := range cts {
			b.Run(kind.name+"/"+ct.name, func(b *testing.B) {
				b.ReportAllocs()
				n := len(c.Clean)
				i := 0
				for b.Loop() {
					ct.contains(kind.clean, i%n)
					i++
				}
			})
		}
	}
}
