package bench

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/uriba-live/uriba/shared/moderation/moderationtest"
)

// threadCPU returns the CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// TestCPUTime measures the thread CPU time per message of each contender, round-robin, keeping
// the best of several rounds: steadier than wall time on a busy machine. Set CPUTIME=1 to run it.
func TestCPUTime(t *testing.T) {
	if os.Getenv("CPUTIME") == "" {
		t.Skip("set CPUTIME=1 to run")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := moderationtest.Generate(words, size, seed)
	cts := contenders(t, c)
	for _, clean := range []bool{true, false} {
		best := make([]time.Duration, len(cts))
		for i := range best {
			best[i] = time.Hour
		}
		for range 7 {
			for ci, ct := range cts {
				const n = 20000
				t0 := threadCPU()
				for i := range n {
					ct.contains(clean, i%len(c.Clean))
				}
				if d := (threadCPU() - t0) / n; d < best[ci] {
					best[ci] = d
				}
			}
		}
		for ci, ct := range cts {
			t.Logf("clean=%v %-12s %v/op", clean, ct.name, best[ci])
		}
	}
}
