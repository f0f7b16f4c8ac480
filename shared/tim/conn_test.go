package tim

import (
	"context"
	"strings"
	"sync"
	"testing"
)

func TestConnectionsAreReused(t *testing.T) {
	// Replies carry trailing padding, and some are failures the client does not read in full,
	// so reuse also depends on bodies being drained.
	padding := strings.Repeat(" ", 8<<10)
	f := newFakeIM(t, func(n int, _ fakeRequest) (int, string) {
		switch n % 4 {
		case 1:
			return 500, "<html>" + padding + "</html>"
		case 2:
			return 200, failReply(CodeInvalidParam) + padding
		case 3:
			return 404, padding
		}
		return 200, okReply + padding
	})
	c := newTestClient(t, f.srv.URL, func(cfg *ClientConfig) { cfg.Retry.MaxAttempts = 1 })
	call := func() {
		_ = c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"})
	}

	for range 200 {
		call()
	}
	if n := f.newConns.Load(); n != 1 {
		t.Fatalf("200 sequential calls opened %d connections, want 1", n)
	}

	const workers = 20
	concurrent := func() {
		jobs := make(chan struct{})
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range jobs {
					call()
				}
			})
		}
		for range 200 {
			jobs <- struct{}{}
		}
		close(jobs)
		wg.Wait()
	}
	before := f.newConns.Load()
	concurrent()
	first := f.newConns.Load() - before
	if first > 2*workers {
		t.Fatalf("200 calls from %d goroutines opened %d connections", workers, first)
	}
	before = f.newConns.Load()
	concurrent()
	second := f.newConns.Load() - before
	if second > workers/4 {
		t.Fatalf("a second round of 200 calls from %d goroutines opened %d more connections, want the idle ones reused", workers, second)
	}
	t.Logf("connections: 1 for 200 sequential calls, %d then %d for two rounds of 200 concurrent calls", first, second)
	if got := len(f.requests()); got != 600 {
		t.Errorf("IM got %d requests, want 600", got)
	}
}
