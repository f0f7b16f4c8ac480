package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/live"
)

func TestSplitNamesTheDirectoryAndTheName(t *testing.T) {
	cases := []struct{ key, dir, name string }{
		{"room#r1", "", "room#r1"},
		{"rooms/status/live/r1", "rooms/status/live/", "r1"},
		{"a//b", "a//", "b"},
		{"/a", "/", "a"},
		{"ルーム/部屋", "ルーム/", "部屋"},
	}
	for _, c := range cases {
		if dir, name := Split(c.key); dir != c.dir || name != c.name {
			t.Errorf("Split(%q) = %q, %q; want %q, %q", c.key, dir, name, c.dir, c.name)
		}
	}
}

func TestChecksRefuseWhatThePortForbids(t *testing.T) {
	ok := []error{
		CheckKey("Get", "k"),
		CheckKey("Get", strings.Repeat("k", MaxKeySize)),
		CheckPut("Put", "k", make([]byte, MaxValueSize), time.Hour),
		CheckScan("Scan", "d/", "", 1),
		CheckScan("Scan", "d/", "d/x", MaxScan),
	}
	for i, err := range ok {
		if err != nil {
			t.Errorf("check %d: %v", i, err)
		}
	}
	refused := []error{
		CheckKey("Get", ""),
		CheckKey("Get", strings.Repeat("k", MaxKeySize+1)),
		CheckKey("Get", "a/"),
		CheckKey("Get", "\xc3"),
		CheckPut("Put", "k", make([]byte, MaxValueSize+1), 0),
		CheckPut("Put", "k", nil, -1),
		CheckScan("Scan", "d", "", 1),
		CheckScan("Scan", "d/", "", 0),
		CheckScan("Scan", "d/", "e/x", 1),
		CheckScan("Scan", "d/", "d/x/y", 1),
	}
	for i, err := range refused {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("refusal %d: got %v, want ErrInvalid", i, err)
		}
	}
}

func TestErrorsTranslateIntoLiveCodes(t *testing.T) {
	cause := errors.New("connection refused")
	err := fmt.Errorf("load room: %w", Fail("Get", "room#r1", cause, func(error) bool { return true }))
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) || coded.ErrorCode() != live.EStoreUnavailable {
		t.Fatalf("ErrorCode of %v is not %q", err, live.EStoreUnavailable)
	}
	if got := live.ErrorMessage(err); got != "The store is unavailable; try again shortly." {
		t.Errorf("the caller's message is %q", got)
	}
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, cause) || errors.Is(err, ErrFailed) {
		t.Errorf("errors.Is does not see the kind and the cause of %v", err)
	}
	want := `load room: store: Get "room#r1": store unavailable: connection refused`
	if err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}

	if err := Fail("Put", "k", cause, nil); !errors.Is(err, ErrFailed) || codeOf(err) != live.EInternal {
		t.Errorf("a failure that is not transient: got %v", err)
	}
	if err := Fail("Put", "k", context.DeadlineExceeded, nil); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a timeout: got %v, want ErrUnavailable", err)
	}
	if Fail("Put", "k", nil, nil) != nil {
		t.Error("Fail(nil) is not nil")
	}
	invalid := Invalid("Put", "k", "negative ttl")
	if Fail("AddMany", "", invalid, nil) != error(invalid) {
		t.Error("Fail wraps an *Error again")
	}
	if codeOf(WrongKind("Get", "k")) != live.EInternal || codeOf(invalid) != live.EInternal {
		t.Error("WrongKind or Invalid carry the wrong code")
	}
	if msg := live.ErrorMessage(invalid); strings.Contains(msg, "ttl") || strings.Contains(msg, `"k"`) {
		t.Errorf("the caller's message %q shows the detail or the key", msg)
	}
	if codeOf(ErrUnavailable) != live.EStoreUnavailable {
		t.Error("the sentinels carry no code")
	}
	long := (&Error{Op: "Get", Key: strings.Repeat("ル", 50), Kind: ErrFailed}).Error()
	if !strings.Contains(long, "…") || strings.Contains(long, "\\x") {
		t.Errorf("a long key is not cut on a character boundary: %s", long)
	}
}

// codeOf returns the stable code of err, or "".
func codeOf(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	return ""
}

func TestUnappliedNamesWhatAFailedAddManyMayNotHaveApplied(t *testing.T) {
	deltas := map[string]int64{"a": 1, "b": 2, "c": 3}
	if got := Unapplied(nil, deltas); got != nil {
		t.Errorf("Unapplied(nil) = %v, want nil", got)
	}
	// An error that names no keys may have applied none of them.
	all := Unapplied(errors.New("lost"), deltas)
	if len(all) != 3 || all["b"] != 2 {
		t.Errorf("Unapplied(plain error) = %v, want every delta", all)
	}
	all["a"] = 99
	if deltas["a"] != 1 {
		t.Error("Unapplied returned the caller's map, not a copy")
	}
	err := WithUnapplied(WrongKind("AddMany", "b"), []string{"c", "b", "zz"})
	got := Unapplied(fmt.Errorf("wrapped: %w", err), deltas)
	if len(got) != 2 || got["b"] != 2 || got["c"] != 3 {
		t.Errorf("Unapplied(listing b, c) = %v, want b and c only", got)
	}
	if !errors.Is(err, ErrWrongKind) {
		t.Errorf("WithUnapplied lost the kind of failure: %v", err)
	}
	if WithUnapplied(nil, []string{"a"}) != nil {
		t.Error("WithUnapplied(nil) is not nil")
	}
}
