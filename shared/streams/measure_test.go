package streams_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/awsclient"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/css"
	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/store"
	"github.com/uriba-live/uriba/shared/store/bolt"
	"github.com/uriba-live/uriba/shared/store/dynamo"
	"github.com/uriba-live/uriba/shared/streams"
	"github.com/uriba-live/uriba/shared/tim"
)

// counting counts the store calls of a run.
type counting struct {
	store.KV
	reads, writes, scans atomic.Int64
}

func (c *counting) Get(ctx context.Context, k string) ([]byte, bool, error) {
	c.reads.Add(1)
	return c.KV.Get(ctx, k)
}
func (c *counting) Put(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	c.writes.Add(1)
	return c.KV.Put(ctx, k, v, ttl)
}
func (c *counting) PutIfAbsent(ctx context.Context, k string, v []byte, ttl time.Duration) (bool, error) {
	c.writes.Add(1)
	return c.KV.PutIfAbsent(ctx, k, v, ttl)
}
func (c *counting) CompareAndSwap(ctx context.Context, k string, o, n []byte, ttl time.Duration) (bool, error) {
	c.writes.Add(1)
	return c.KV.CompareAndSwap(ctx, k, o, n, ttl)
}
func (c *counting) Delete(ctx context.Context, k string) (bool, error) {
	c.writes.Add(1)
	return c.KV.Delete(ctx, k)
}
func (c *counting) Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error) {
	c.scans.Add(1)
	return c.KV.Scan(ctx, dir, after, limit)
}

// TestMeasureARunOverTenThousandRooms seeds a store with 10,000 live rooms (URIBA_MEASURE_ROOMS
// overrides), 100 of them past their scheduled end, and reports what one run costs. It runs when
// URIBA_MEASURE is set, on bolt, or on the DynamoDB-compatible server at
// URIBA_TEST_DYNAMODB_ENDPOINT when that is set.
func TestMeasureARunOverTenThousandRooms(t *testing.T) {
	if os.Getenv("URIBA_MEASURE") == "" {
		t.Skip("set URIBA_MEASURE=1 to measure")
	}
	total, due := 10000, 100
	if n, err := strconv.Atoi(os.Getenv("URIBA_MEASURE_ROOMS")); err == nil && n >= due {
		total = n
	}
	env := functiontest.New(t)
	ctx := context.Background()
	var kv0 store.KV
	if endpoint := os.Getenv("URIBA_TEST_DYNAMODB_ENDPOINT"); endpoint != "" {
		for k, v := range map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": endpoint, "AWS_REGION": "us-east-1",
			"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true"} {
			t.Setenv(k, v)
		}
		c := config.NewLoader(os.Getenv).AWS()
		d := dynamo.Open(awsclient.Config(c), c.DynamoDBEndpoint, "streams-measure-"+strings.ToLower(rand.Text()[:10]))
		if err := d.CreateTable(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.DeleteTable(context.Background()) })
		kv0 = d
		t.Logf("store: DynamoDB-compatible server at %s", endpoint)
	} else {
		b, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		kv0 = b
		t.Log("store: bolt")
	}
	im := env.Client(t)
	now := time.Now().UTC().Truncate(time.Second)
	seedStart := time.Now()
	for i := range total {
		id := fmt.Sprintf("room-%05d", i)
		end := now.Add(time.Hour)
		if i%(total/due) == 0 {
			end = now.Add(-time.Minute)
			if _, err := im.CreateGroup(ctx, tim.CreateGroupRequest{Type: tim.GroupTypeAVChatRoom, GroupID: id, Name: "m"}); err != nil {
				t.Fatal(err)
			}
		}
		r := live.NewRoom(id, "m", "anchor", "", nil, &end, now.Add(-2*time.Hour))
		r.Status, r.StartedAt = live.StatusLive, ptr(now.Add(-time.Hour))
		raw, _ := json.Marshal(r)
		for k, v := range map[string][]byte{"rooms/" + store.EscapeID(id): raw, "rooms/status/live/" + store.EscapeID(id): {'1'},
			fmt.Sprintf("roomends/%012d.%s", end.Unix(), store.EscapeID(id)): {'1'}} {
			if err := kv0.Put(ctx, k, v, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("seeded %d rooms in %v", total, time.Since(seedStart))
	kv := &counting{KV: kv0}
	rs, err := rooms.New(kv, im, rooms.Config{Admin: functiontest.Admin})
	if err != nil {
		t.Fatal(err)
	}
	api, _ := css.NewAPI(css.APIConfig{SecretID: functiontest.CloudAPIKey, SecretKey: "k", Region: "ap-singapore", BaseURL: env.Vars["CLOUDAPI_BASE_URL"]})
	var calls atomic.Int64
	api.CountCalls(func(string) { calls.Add(1) })
	svc, err := streams.New(rs, kv, api, im, streams.Config{
		Domains: css.Domains{PushDomain: functiontest.PushDomain, PushKey: functiontest.PushKey, PlayDomain: functiontest.PlayDomain, App: "live"},
	})
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	rep, err := svc.Run(ctx)
	took := time.Since(begin)
	if err != nil || len(rep.Ended) != due {
		t.Fatalf("run: %+v %v", rep, err)
	}
	t.Logf("one run over %d rooms, %d due: %v; store reads %d, writes %d, scans %d; Cloud API calls %d",
		total, due, took, kv.reads.Load(), kv.writes.Load(), kv.scans.Load(), calls.Load())
	kv.reads.Store(0)
	kv.writes.Store(0)
	kv.scans.Store(0)
	calls.Store(0)
	begin = time.Now()
	rep, _ = svc.Run(ctx)
	t.Logf("the next run: %v, %d due; store reads %d, writes %d, scans %d; Cloud API calls %d",
		time.Since(begin), rep.Due, kv.reads.Load(), kv.writes.Load(), kv.scans.Load(), calls.Load())
}
