package moderation_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/moderation"
	"github.com/uriba-live/uriba/shared/moderation/moderationtest"
)

// benchSeed makes the generated benchmark inputs; scripts/bench uses the same.
const benchSeed = 20240601

// benchCorpus returns the benchmark inputs: a 10,000-word list of made-up Chinese, Japanese and
// Latin-script words, and 64 clean and 64 dirty messages of about 200 bytes.
func benchCorpus(b *testing.B) (moderationtest.Corpus, *moderation.Matcher) {
	b.Helper()
	c := moderationtest.Generate(10_000, 200, benchSeed)
	m := moderation.Compile(moderation.WordList{Words: c.Words})
	for i := range c.Clean {
		if m.Contains(c.Clean[i]) || !m.Contains(c.Dirty[i]) {
			b.Fatalf("message %d is not as generated", i)
		}
	}
	runtime.GC() // the garbage of generating and compiling, not the benchmark's
	return c, m
}

func BenchmarkContains(b *testing.B) {
	c, m := benchCorpus(b)
	for _, tc := range []struct {
		name string
		msgs []string
	}{{"clean", c.Clean}, {"dirty", c.Dirty}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.Contains(tc.msgs[i%len(tc.msgs)])
				i++
			}
		})
	}
}

func BenchmarkMask(b *testing.B) {
	c, m := benchCorpus(b)
	b.Run("dirty", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.Mask(c.Dirty[i%len(c.Dirty)])
			i++
		}
	})
}

// BenchmarkCompile reports the build time and allocations, and the heap the finished Matcher
// holds (heap-bytes).
func BenchmarkCompile(b *testing.B) {
	moderation.Compile(moderation.WordList{Words: []string{"warm-up"}}) // builds the shared folding tables
	for _, tc := range []struct {
		name string
		n    int
	}{{"10k", 10_000}, {"100k", 100_000}} {
		words := moderationtest.Generate(tc.n, 200, benchSeed).Words
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				moderation.Compile(moderation.WordList{Words: words})
			}
			b.StopTimer()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			m := moderation.Compile(moderation.WordList{Words: words})
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(m)
			b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "heap-bytes")
		})
	}
}

// BenchmarkLoadCompiled reports the time to load the compiled form of a 10,000-word list, which a
// function does at start-up instead of Compile, and its size (bytes).
func BenchmarkLoadCompiled(b *testing.B) {
	words := moderationtest.Generate(10_000, 200, benchSeed).Words
	src := []byte(strings.Join(words, "\n"))
	l, rep, err := moderation.ParseWordList(bytes.NewReader(src))
	if err != nil {
		b.Fatal(err)
	}
	data := moderation.EncodeCompiled(moderation.Compile(l), src, rep)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := moderation.LoadCompiled(data, src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "bytes")
}
