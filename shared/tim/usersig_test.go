package tim

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
)

// sigGenerator replaces a client's UserSig generator with one that counts generations and
// returns "sig-<n>", so tests can see which generation a request carried. A generation during a
// burst does not return before every caller of the burst has started its call, so that the
// callers that need the UserSig pile up behind it.
type sigGenerator struct {
	n atomic.Int64

	mu      sync.Mutex
	started chan struct{} // closed once every caller of the current burst has started
}

func countingSigs(c *Client) *sigGenerator {
	g := &sigGenerator{}
	c.genSig = func(int, string, string, time.Duration) (string, error) {
		g.mu.Lock()
		started := g.started
		g.mu.Unlock()
		if started != nil {
			<-started
		}
		return "sig-" + strconv.FormatInt(g.n.Add(1), 10), nil
	}
	return g
}

// Load returns the number of generations so far.
func (g *sigGenerator) Load() int64 { return g.n.Load() }

// burst makes n concurrent calls and returns the UserSigs IM saw during them.
func burst(t *testing.T, c *Client, f *fakeIM, g *sigGenerator, n int) map[string]int {
	t.Helper()
	before := len(f.requests())
	started := make(chan struct{})
	g.mu.Lock()
	g.started = started
	g.mu.Unlock()
	var wg, calling sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	calling.Add(n)
	for range n {
		wg.Go(func() {
			<-start
			calling.Done()
			if err := c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"}); err != nil {
				errs <- err
			}
		})
	}
	close(start)
	calling.Wait()
	close(started)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range f.requests()[before:] {
		seen[r.Query.Get("usersig")]++
	}
	return seen
}

func TestAdminUserSigIsGeneratedOnceAndRenewedBeforeExpiry(t *testing.T) {
	clk := clock.NewManual(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	f := newFakeIM(t, nil)
	c := newTestClient(t, f.srv.URL, func(cfg *ClientConfig) { cfg.Now = clk.Now })
	gens := countingSigs(c)

	seen := burst(t, c, f, gens, 1000)
	if gens.Load() != 1 || len(seen) != 1 || seen["sig-1"] != 1000 {
		t.Fatalf("1000 concurrent calls: %d generations, sigs seen %v", gens.Load(), seen)
	}

	// Still more than an hour left: no renewal.
	clk.Advance(22 * time.Hour)
	if seen := burst(t, c, f, gens, 100); gens.Load() != 1 || seen["sig-1"] != 100 {
		t.Fatalf("22h later: %d generations, sigs seen %v", gens.Load(), seen)
	}

	// Under an hour left: exactly one renewal, and the old UserSig, still valid, may serve
	// the calls that overlap it.
	clk.Advance(90 * time.Minute)
	seen = burst(t, c, f, gens, 1000)
	if gens.Load() != 2 || seen["sig-1"]+seen["sig-2"] != 1000 {
		t.Fatalf("in the renewal window: %d generations, sigs seen %v", gens.Load(), seen)
	}
	if seen := burst(t, c, f, gens, 10); seen["sig-2"] != 10 {
		t.Fatalf("after renewal: sigs seen %v", seen)
	}

	// Past expiry: callers wait for one new UserSig and never send the expired one.
	clk.Advance(48 * time.Hour)
	seen = burst(t, c, f, gens, 1000)
	if gens.Load() != 3 || seen["sig-3"] != 1000 {
		t.Fatalf("after expiry: %d generations, sigs seen %v", gens.Load(), seen)
	}
}

func TestAdminUserSigFailureIsAuthAndRetriedOnNextCall(t *testing.T) {
	f := newFakeIM(t, nil)
	c := newTestClient(t, f.srv.URL)
	fail := true
	c.genSig = func(sdkAppID int, key, userID string, ttl time.Duration) (string, error) {
		if fail {
			return "", errors.New("no entropy")
		}
		return genAdminSig(sdkAppID, key, userID, ttl)
	}
	err := c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"})
	if e := asError(t, err); e.Kind != KindAuth || e.Call != CallAccountImport || e.Attempts != 0 {
		t.Fatalf("error %v: kind %v attempts %d", err, e.Kind, e.Attempts)
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("IM got %d requests", n)
	}
	fail = false
	if err := c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"}); err != nil {
		t.Fatal(err)
	}
}

func TestGenAndVerifyUserSig(t *testing.T) {
	sig, exp, err := GenUserSig(testAppID, testKey, "viewer_1", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 2*time.Hour-2*time.Second || d > 2*time.Hour {
		t.Errorf("expiresAt is %v from now, want about 2h", d)
	}
	if err := VerifyUserSig(testAppID, testKey, "viewer_1", sig, time.Now()); err != nil {
		t.Fatalf("VerifyUserSig: %v", err)
	}
	// Valid up to expiresAt, expired after it.
	if err := VerifyUserSig(testAppID, testKey, "viewer_1", sig, exp); err != nil {
		t.Errorf("at expiresAt: %v", err)
	}
	tests := []struct {
		name   string
		app    int
		key    string
		user   string
		sig    string
		now    time.Time
		target error
	}{
		{"expired", testAppID, testKey, "viewer_1", sig, exp.Add(3 * time.Second), ErrUserSigExpired},
		{"other key", testAppID, "another-key", "viewer_1", sig, time.Now(), ErrUserSigInvalid},
		{"other user", testAppID, testKey, "viewer_2", sig, time.Now(), ErrUserSigInvalid},
		{"other app", testAppID + 1, testKey, "viewer_1", sig, time.Now(), ErrUserSigInvalid},
		{"garbage", testAppID, testKey, "viewer_1", "not-a-sig!", time.Now(), ErrUserSigInvalid},
		{"empty", testAppID, testKey, "viewer_1", "", time.Now(), ErrUserSigInvalid},
		{"huge", testAppID, testKey, "viewer_1", string(make([]byte, 4096)), time.Now(), ErrUserSigInvalid},
	}
	for _, tt := range tests {
		err := VerifyUserSig(tt.app, tt.key, tt.user, tt.sig, tt.now)
		if !errors.Is(err, tt.target) || !errors.Is(err, ErrAuth) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.target)
		}
	}
}

func TestGenUserSigRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		app   int
		key   string
		user  string
		ttl   time.Duration
		field string
	}{
		{"no app", 0, testKey, "u", time.Hour, "SDKAppID"},
		{"no key", testAppID, "", "u", time.Hour, "SecretKey"},
		{"no user", testAppID, testKey, "", time.Hour, "UserID"},
		{"long user", testAppID, testKey, "abcdefghijklmnopqrstuvwxyz0123456", time.Hour, "UserID"},
		{"sub-second ttl", testAppID, testKey, "u", time.Millisecond, "ttl"},
	}
	for _, tt := range tests {
		_, _, err := GenUserSig(tt.app, tt.key, tt.user, tt.ttl)
		e := asError(t, err)
		if e.Kind != KindInvalid || e.Field != tt.field || e.Call != "GenUserSig" {
			t.Errorf("%s: error %v (field %q)", tt.name, err, e.Field)
		}
		assertNoSecrets(t, nil, err.Error())
	}
}
