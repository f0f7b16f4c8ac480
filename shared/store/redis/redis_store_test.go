package redis

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestOpenDoesNotRepeatTheURL(t *testing.T) {
	_, err := Open("redis://user:s3cret@127.0.0.1:6379/zero")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open of a bad URL: got %v, want an error without the password", err)
	}
	s, err := Open("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestNewRefusesABraceInTheNamespace(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted the namespace \"a{b\"")
		}
	}()
	New(nil, "a{b")
}

func TestKeysShareTheSlotOfTheirDirectory(t *testing.T) {
	s := &Store{ns: "uriba:"}
	cases := map[string]ref{
		"room#r1":       {key: "uriba:room#r1"},
		"rooms/live/r1": {key: "uriba:{rooms/live/}r1", name: "r1", dir: "uriba:{rooms/live/}"},
		"a{b}/c":        {key: "uriba:{a{b}/}c", name: "c", dir: "uriba:{a{b}/}"},
		"ルーム/部屋":        {key: "uriba:{ルーム/}部屋", name: "部屋", dir: "uriba:{ルーム/}"},
	}
	for key, want := range cases {
		if got := s.ref(key); got != want {
			t.Errorf("ref(%q) = %+v, want %+v", key, got, want)
		}
	}
}

func TestExpiringWritesPruneTheirDirectory(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const n = 40
	for i := range n {
		if err := s.Put(ctx, fmt.Sprintf("idem/k%02d", i), []byte("v"), 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	r := s.ref("idem/x")
	if got := s.client.ZCard(ctx, r.dir).Val(); got != n {
		t.Fatalf("the directory names %d records, want %d", got, n)
	}
	// Redis expires the values on its own clock; wait until it has, the last written last.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, ok, err := s.Get(ctx, fmt.Sprintf("idem/k%02d", n-1))
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Redis kept a value with a ttl of 50ms for 5s")
		}
	}
	// Each expiring write removes up to 16 overdue names; three of them remove all 40.
	for i := range 3 {
		if err := s.Put(ctx, fmt.Sprintf("idem/new%d", i), []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.client.ZCard(ctx, r.dir).Val(); got != 3 {
		t.Errorf("after three writes the directory names %d records, want 3", got)
	}
	if got := s.client.ZCard(ctx, r.dir+"/expiry").Val(); got != 3 {
		t.Errorf("after three writes the expiry set holds %d names, want 3", got)
	}
	// A value that loses its ttl leaves the expiry set; deleting it leaves both.
	if err := s.Put(ctx, "idem/new0", []byte("kept"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, "idem/new1"); err != nil {
		t.Fatal(err)
	}
	if got := s.client.ZCard(ctx, r.dir+"/expiry").Val(); got != 1 {
		t.Errorf("the expiry set holds %d names, want 1", got)
	}
	if got := s.client.ZCard(ctx, r.dir).Val(); got != 2 {
		t.Errorf("the directory names %d records, want 2", got)
	}
}

func TestScanDropsTheNamesOfRecordsThatAreGone(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, key := range []string{"d/a", "d/b", "d/c"} {
		if err := s.Put(ctx, key, []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
	// A record evicted by Redis, or removed by hand, leaves its name behind.
	s.client.Del(ctx, s.ref("d/b").key)
	items, err := s.Scan(ctx, "d/", "", 10)
	if err != nil || len(items) != 2 || items[0].Key != "d/a" || items[1].Key != "d/c" {
		t.Fatalf("Scan = %+v, %v; want d/a and d/c", items, err)
	}
	if got := s.client.ZRange(ctx, s.ref("d/x").dir, 0, -1).Val(); strings.Join(got, ",") != "a,c" {
		t.Errorf("the directory names %v after the Scan, want [a c]", got)
	}
}

func TestScriptsSurviveAFlushOfTheScriptCache(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Add(ctx, "c/a", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMany(ctx, map[string]int64{"c/a": 1, "c/b": 2, "c#c": 3}); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int64{"c/a": 2, "c/b": 2, "c#c": 3} {
		if n, err := s.Counter(ctx, key); err != nil || n != want {
			t.Errorf("Counter %s = %d, %v; want %d", key, n, err, want)
		}
	}
}
