package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/clock"
	"github.com/uriba-live/uriba/shared/store"
	bbolt "go.etcd.io/bbolt"
)

func TestRecordsOutliveTheProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "uriba.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "rooms/r1", []byte("live"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "likes#r1", 7); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, ok, err := s.Get(ctx, "rooms/r1"); err != nil || !ok || string(v) != "live" {
		t.Errorf("Get after reopening = %q, %v, %v", v, ok, err)
	}
	if n, err := s.Counter(ctx, "likes#r1"); err != nil || n != 7 {
		t.Errorf("Counter after reopening = %d, %v", n, err)
	}
}

func TestWritesRemoveExpiredValues(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := clock.NewManual(time.Unix(1_700_000_000, 0))
	s.now = c.Now
	for i := range 2*purgeBatch + 5 {
		if err := s.Put(ctx, "dedupe#"+string(rune('A'+i)), []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, "dedupe#kept", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	// A value replaced without a ttl leaves the expiry index.
	if err := s.Put(ctx, "dedupe#A", []byte("forever"), 0); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s); got.records != 2*purgeBatch+6 || got.expiring != 2*purgeBatch+5 {
		t.Fatalf("before expiry: %+v", got)
	}

	c.Advance(2 * time.Minute)
	if v, ok, err := s.Get(ctx, "dedupe#B"); err != nil || ok {
		t.Fatalf("Get of an expired value = %q, %v, %v", v, ok, err)
	}
	// Each write removes up to purgeBatch expired values.
	for range 3 {
		if _, err := s.Add(ctx, "likes", 1); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, s); got.records != 3 || got.expiring != 1 {
		t.Errorf("after three writes: %+v, want the kept, the replaced and the counter only", got)
	}
}

type counts struct{ records, expiring int }

func count(t *testing.T, s *Store) counts {
	var c counts
	err := s.db.View(func(tx *bbolt.Tx) error {
		c.records = tx.Bucket(bucket).Stats().KeyN
		c.expiring = tx.Bucket(expiryBucket).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestADamagedRecordIsAFailure(t *testing.T) {
	s := newStore(t)
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Put([]byte("bad"), []byte("?")) }); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Get(context.Background(), "bad")
	if !errors.Is(err, store.ErrFailed) {
		t.Fatalf("Get of a damaged record: got %v, want ErrFailed", err)
	}
	if _, err := s.Scan(context.Background(), "b/", "", 10); err != nil {
		t.Errorf("Scan of another directory: %v", err)
	}
}

func TestAddManyIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.Put(ctx, "value", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	err := s.AddMany(ctx, map[string]int64{"a": 1, "b": 2, "value": 3})
	if !errors.Is(err, store.ErrWrongKind) {
		t.Fatalf("AddMany with a value: got %v", err)
	}
	for _, key := range []string{"a", "b"} {
		if n, err := s.Counter(ctx, key); err != nil || n != 0 {
			t.Errorf("Counter %s after a failed AddMany = %d, %v; want 0", key, n, err)
		}
	}
}
