package moderation_test

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/uriba-live/uriba/shared/moderation"
	"github.com/uriba-live/uriba/shared/moderation/moderationtest"
)

// threadCPU returns the CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

func TestCPUTime(t *testing.T) {
	if os.Getenv("CPUTIME") == "" {
		t.Skip()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := moderationtest.Generate(10_000, 200, benchSeed)
	m := moderation.Compile(moderation.WordList{Words: c.Words})
	groups := map[string][]string{}
	for _, s := range c.Clean {
		k := "en"
		if s[0] >= 0x80 {
			k = "cjk"
		}
		groups[k] = append(groups[k], s)
		groups["all"] = append(groups["all"], s)
	}
	for _, k := range []string{"en", "cjk", "all"} {
		msgs := groups[k]
		best := time.Hour
		for range 7 {
			const n = 100000
			t0 := threadCPU()
			for i := range n {
				m.Contains(msgs[i%len(msgs)])
			}
			if d := (threadCPU() - t0) / n; d < best {
				best = d
			}
		}
		t.Logf("%s %v/op", k, best)
	}
}
