package tim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/live"
)

func randomOf(t *testing.T, r fakeRequest) uint32 {
	t.Helper()
	var body struct{ Random uint32 }
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return body.Random
}

func TestRetryOnRateLimitThenSuccessKeepsRandom(t *testing.T) {
	f := newFakeIM(t, func(n int, _ fakeRequest) (int, string) {
		if n == 1 {
			return 200, failReply(CodeRESTFrequency)
		}
		return 200, `{"ActionStatus":"OK","ErrorCode":0,"MsgSeq":5,"MsgTime":1}`
	})
	c := newTestClient(t, f.srv.URL)
	rep, err := c.SendGroupMsg(context.Background(), SendGroupMsgRequest{GroupID: "room-1", MsgBody: []MsgElem{TextElem("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.MsgSeq != 5 {
		t.Errorf("reply = %+v", rep)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("IM got %d requests, want 2", len(reqs))
	}
	first, second := randomOf(t, reqs[0]), randomOf(t, reqs[1])
	if first == 0 {
		t.Error("the client did not fill in Random")
	}
	if first != second {
		t.Errorf("Random changed across attempts: %d then %d", first, second)
	}
	if !bytes.Equal(reqs[0].Body, reqs[1].Body) {
		t.Errorf("bodies differ across attempts:\n%s\n%s", reqs[0].Body, reqs[1].Body)
	}
}

func TestNoRetryOnDefiniteFailures(t *testing.T) {
	for _, code := range []int{CodeInvalidParam, CodeUserSigExpired, CodeGroupNotFound, CodeNoPermission} {
		f := newFakeIM(t, func(int, fakeRequest) (int, string) { return 200, failReply(code) })
		c := newTestClient(t, f.srv.URL)
		_, err := c.SendGroupMsg(context.Background(), SendGroupMsgRequest{GroupID: "room-1", MsgBody: []MsgElem{TextElem("hi")}})
		if e := asError(t, err); e.IMCode != code || e.Attempts != 1 {
			t.Errorf("code %d: error %v, attempts %d", code, err, e.Attempts)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("code %d: IM got %d requests, want 1", code, n)
		}
	}
}

func TestRateLimitStillHitAfterRetriesStaysRateLimited(t *testing.T) {
	f := newFakeIM(t, func(int, fakeRequest) (int, string) { return 200, failReply(CodeTooManyRequests) })
	c := newTestClient(t, f.srv.URL)
	err := c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"})
	e := asError(t, err)
	if e.Kind != KindRateLimited || e.ErrorCode() != live.EIMRateLimited || e.Attempts != DefaultMaxAttempts {
		t.Fatalf("error %v: kind %v attempts %d", err, e.Kind, e.Attempts)
	}
	if n := len(f.requests()); n != DefaultMaxAttempts {
		t.Errorf("IM got %d requests, want %d", n, DefaultMaxAttempts)
	}
}

func TestMaxAttemptsOnRepeated500(t *testing.T) {
	f := newFakeIM(t, func(int, fakeRequest) (int, string) { return 500, "oops" })
	c := newTestClient(t, f.srv.URL, func(cfg *ClientConfig) { cfg.Retry.MaxAttempts = 3 })
	err := c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"})
	e := asError(t, err)
	if e.Kind != KindUnavailable || e.ErrorCode() != live.EIMUnavailable || e.HTTPStatus != 500 || e.Attempts != 3 {
		t.Fatalf("error %v: kind %v attempts %d", err, e.Kind, e.Attempts)
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("IM got %d requests, want 3", n)
	}
}

func TestBudgetExhaustedOnRepeated500(t *testing.T) {
	f := newFakeIM(t, func(int, fakeRequest) (int, string) { return 500, "oops" })
	const budget = 300 * time.Millisecond
	c := newTestClient(t, f.srv.URL, func(cfg *ClientConfig) {
		cfg.Retry = RetryPolicy{MaxAttempts: 1000, BaseDelay: 20 * time.Millisecond, MaxDelay: 60 * time.Millisecond, Budget: budget}
	})
	start := time.Now()
	err := c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"})
	elapsed := time.Since(start)
	e := asError(t, err)
	if e.Kind != KindUnavailable || e.ErrorCode() != live.EIMUnavailable {
		t.Fatalf("error %v: kind %v", err, e.Kind)
	}
	if elapsed > budget+200*time.Millisecond {
		t.Errorf("call took %v, budget %v", elapsed, budget)
	}
	// The last attempt may run out of budget before IM sees it.
	n := len(f.requests())
	if n < 3 || n >= 1000 || e.Attempts < n || e.Attempts > n+1 {
		t.Errorf("IM got %d requests, error says %d attempts; want a few within the budget", n, e.Attempts)
	}
}

func TestBudgetBoundsASlowAttempt(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFakeIM(t, func(int, fakeRequest) (int, string) {
		<-release
		return 200, okReply
	})
	c := newTestClient(t, f.srv.URL, func(cfg *ClientConfig) {
		cfg.Retry = RetryPolicy{Budget: 200 * time.Millisecond, BaseDelay: 10 * time.Millisecond}
	})
	start := time.Now()
	err := c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"})
	if e := asError(t, err); e.ErrorCode() != live.EIMUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v (kind %v)", err, e.Kind)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("call took %v, want about the 200ms budget", elapsed)
	}
}

func TestContextCancellationStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFakeIM(t, func(int, fakeRequest) (int, string) { return 200, failReply(CodeRESTFrequency) })
	c := newTestClient(t, f.srv.URL, func(cfg *ClientConfig) {
		cfg.Retry = RetryPolicy{MaxAttempts: 10, BaseDelay: 10 * time.Second, MaxDelay: 10 * time.Second, Budget: time.Minute}
		// The client logs a retry just before it waits: cancel there.
		cfg.Logger = slog.New(onLog(cancel))
	})
	start := time.Now()
	err := c.AccountImport(ctx, AccountImportRequest{UserID: "u"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if e := asError(t, err); e.Attempts != 1 || e.IMCode != CodeRESTFrequency || e.ErrorCode() != live.EIMRateLimited {
		t.Errorf("error %v: attempts %d", err, e.Attempts)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("call took %v after cancellation", elapsed)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("IM got %d requests, want 1", n)
	}
}

// onLog is a slog handler that runs fn for every record.
type onLog func()

func (h onLog) Enabled(context.Context, slog.Level) bool  { return true }
func (h onLog) Handle(context.Context, slog.Record) error { h(); return nil }
func (h onLog) WithAttrs([]slog.Attr) slog.Handler        { return h }
func (h onLog) WithGroup(string) slog.Handler             { return h }

func TestContextCancelledDuringBackoff(t *testing.T) {
	f := newFakeIM(t, func(int, fakeRequest) (int, string) { return 502, "" })
	c := newTestClient(t, f.srv.URL, func(cfg *ClientConfig) {
		cfg.Retry = RetryPolicy{BaseDelay: 5 * time.Second, MaxDelay: 5 * time.Second, Budget: time.Minute}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.AccountImport(ctx, AccountImportRequest{UserID: "u"})
	if !errors.Is(err, context.DeadlineExceeded) || ErrorCodeOf(err) != live.EIMUnavailable {
		t.Fatalf("error %v", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("call took %v", elapsed)
	}
}

// closedPort returns the address of a loopback port nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	c := newTestClient(t, "http://"+closedPort(t))
	for _, call := range []struct {
		name string
		run  func() error
	}{
		{"repeatable", func() error {
			return c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"})
		}},
		{"not repeatable, retried because nothing was sent", func() error {
			return c.SendGroupSystemNotification(context.Background(), SystemNotificationRequest{GroupID: "g", Content: "x"})
		}},
	} {
		err := call.run()
		e := asError(t, err)
		if e.Kind != KindUnavailable || e.ErrorCode() != live.EIMUnavailable {
			t.Errorf("%s: error %v kind %v", call.name, err, e.Kind)
		}
		if e.Attempts != DefaultMaxAttempts {
			t.Errorf("%s: attempts %d, want %d", call.name, e.Attempts, DefaultMaxAttempts)
		}
		var op *net.OpError
		if !errors.As(err, &op) {
			t.Errorf("%s: the network error is not reachable through errors.As: %v", call.name, err)
		}
		assertNoSecrets(t, nil, err.Error())
		if sig := c.creds.Load().sig; strings.Contains(err.Error(), sig) {
			t.Errorf("%s: error %q contains the admin UserSig", call.name, err)
		}
	}
}

func TestCallsThatMayDuplicateAreNotRepeatedAfterAmbiguousFailures(t *testing.T) {
	t.Run("system notification on 500", func(t *testing.T) {
		f := newFakeIM(t, func(int, fakeRequest) (int, string) { return 500, "" })
		c := newTestClient(t, f.srv.URL)
		err := c.SendGroupSystemNotification(context.Background(), SystemNotificationRequest{GroupID: "g", Content: "x"})
		if e := asError(t, err); e.Kind != KindTransient || e.ErrorCode() != live.EIMUnavailable || !errorsIsKind(err, KindTransient) {
			t.Errorf("error %v kind %v", err, e.Kind)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("IM got %d requests, want 1", n)
		}
	})
	t.Run("system notification on rate limit", func(t *testing.T) {
		f := newFakeIM(t, func(n int, _ fakeRequest) (int, string) {
			if n == 1 {
				return 200, failReply(CodeRESTFrequency)
			}
			return 200, okReply
		})
		c := newTestClient(t, f.srv.URL)
		if err := c.SendGroupSystemNotification(context.Background(), SystemNotificationRequest{GroupID: "g", Content: "x"}); err != nil {
			t.Fatal(err)
		}
		if n := len(f.requests()); n != 2 {
			t.Errorf("IM got %d requests, want 2", n)
		}
	})
	t.Run("create group without GroupId on IM internal error", func(t *testing.T) {
		f := newFakeIM(t, func(int, fakeRequest) (int, string) { return 200, failReply(CodeInternal) })
		c := newTestClient(t, f.srv.URL)
		_, err := c.CreateGroup(context.Background(), CreateGroupRequest{Name: "x"})
		if e := asError(t, err); e.Kind != KindTransient {
			t.Errorf("error %v kind %v", err, e.Kind)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("IM got %d requests, want 1", n)
		}
	})
	t.Run("create group with GroupId is repeated", func(t *testing.T) {
		f := newFakeIM(t, func(n int, _ fakeRequest) (int, string) {
			if n == 1 {
				return 503, ""
			}
			return 200, okReply
		})
		c := newTestClient(t, f.srv.URL)
		if _, err := c.CreateGroup(context.Background(), CreateGroupRequest{GroupID: "r", Name: "x"}); err != nil {
			t.Fatal(err)
		}
		if n := len(f.requests()); n != 2 {
			t.Errorf("IM got %d requests, want 2", n)
		}
	})
}

func TestDestroyGroupRepeatedAfterAmbiguousFailureFindsGroupGone(t *testing.T) {
	f := newFakeIM(t, func(n int, _ fakeRequest) (int, string) {
		if n == 1 {
			return 502, ""
		}
		return 200, failReply(CodeGroupNotFound)
	})
	c := newTestClient(t, f.srv.URL)
	if err := c.DestroyGroup(context.Background(), "r"); err != nil {
		t.Fatalf("DestroyGroup = %v, want nil", err)
	}

	g := newFakeIM(t, func(int, fakeRequest) (int, string) { return 200, failReply(CodeGroupNotFound) })
	c = newTestClient(t, g.srv.URL)
	if err := c.DestroyGroup(context.Background(), "r"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DestroyGroup of a missing group = %v, want ErrNotFound", err)
	}
}

func TestLowestPriorityFallsBackToLowWhenRefused(t *testing.T) {
	f := newFakeIM(t, func(_ int, r fakeRequest) (int, string) {
		var body struct{ MsgPriority string }
		_ = json.Unmarshal(r.Body, &body)
		if body.MsgPriority == PriorityLowest {
			return 200, failReply(CodeInvalidParam)
		}
		return 200, okReply
	})
	c := newTestClient(t, f.srv.URL)
	like := SendGroupMsgRequest{GroupID: "r", MsgPriority: PriorityLowest, MsgBody: []MsgElem{CustomElem("LIKE", "{}")}}
	if _, err := c.SendGroupMsg(context.Background(), like); err != nil {
		t.Fatalf("first like: %v", err)
	}
	if _, err := c.SendGroupMsg(context.Background(), like); err != nil {
		t.Fatalf("second like: %v", err)
	}
	var priorities []string
	for _, r := range f.requests() {
		var body struct{ MsgPriority string }
		_ = json.Unmarshal(r.Body, &body)
		priorities = append(priorities, body.MsgPriority)
	}
	if got := strings.Join(priorities, ","); got != "Lowest,Low,Low" {
		t.Errorf("priorities sent = %s, want Lowest,Low,Low", got)
	}
}

func TestLowestPriorityKeptWhenIMObjectsToSomethingElse(t *testing.T) {
	f := newFakeIM(t, func(int, fakeRequest) (int, string) { return 200, failReply(CodeInvalidParam) })
	c := newTestClient(t, f.srv.URL)
	_, err := c.SendGroupMsg(context.Background(), SendGroupMsgRequest{GroupID: "r", MsgPriority: PriorityLowest, MsgBody: []MsgElem{TextElem("x")}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v, want ErrInvalid", err)
	}
	if c.noLowest.Load() {
		t.Error("the client stopped sending Lowest although Low failed the same way")
	}
}

func TestRetriesAreLoggedWithoutCredentials(t *testing.T) {
	var logs bytes.Buffer
	f := newFakeIM(t, func(n int, _ fakeRequest) (int, string) {
		if n < 3 {
			return 200, failReply(CodeSDKAppIDFrequency)
		}
		return 200, okReply
	})
	c := newTestClient(t, f.srv.URL, func(cfg *ClientConfig) {
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	if err := c.AccountImport(context.Background(), AccountImportRequest{UserID: "u"}); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Count(out, "retrying") != 2 || !strings.Contains(out, "im_code=60011") {
		t.Errorf("logs = %s", out)
	}
	assertNoSecrets(t, f, out)
}

func TestBackoffGrowsAndStaysWithinBounds(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	for n := 1; n <= 40; n++ {
		want := min(p.BaseDelay<<min(n-1, 20), p.MaxDelay)
		for range 50 {
			d := p.policy().Delay(n)
			if d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, want/2, want)
			}
		}
	}
}
