// Package redis is uriba's store on Redis (TencentDB for Redis or any other, single node, behind
// a cluster proxy or as a cluster; the tests run on Redis 7.0), through
// github.com/redis/go-redis/v9. It implements store.KV.
//
// # Layout
//
// Every Redis key starts with the store's namespace ("uriba:" by default). A key without '/' is
// stored under namespace+key. A key in a directory, dir+name, is stored under
// namespace+"{"+dir+"}"+name, and the directory keeps two sorted sets: namespace+"{"+dir+"}"
// holds the names of its records (score 0, listed in byte order by ZRANGEBYLEX), and
// namespace+"{"+dir+"}/expiry" the names of its expiring values by expiry. The braces are a hash
// tag: a record and its directory's sets are in one cluster slot, so one Lua script updates
// them together.
//
// A value is a string: ':' then its bytes, with Redis's own expiry (PX). A counter is the
// decimal string INCRBY works on, which never starts with ':'; that first byte tells the kinds
// apart.
//
// Names of expired or evicted records stay in their directory's set until a Scan of the
// directory meets them, or until a write of an expiring value to the directory, which removes up
// to 16 overdue names, so directories do not grow without bound.
//
// # Retries
//
// go-redis retries network failures (3 times by default), including read timeouts after a
// command was sent: like the port says, a failed or even a successful Add may have been applied
// more than once then.
package redis

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/uriba-live/uriba/shared/store"
)

// DefaultNamespace is the namespace of a store made by Open.
const DefaultNamespace = "uriba:"

// valueTag starts every stored value.
const valueTag = ':'

// Store is a store.KV on Redis.
type Store struct {
	client goredis.UniversalClient
	ns     string
}

var _ store.KV = (*Store)(nil)

// Open connects to the Redis at rawURL (redis://[user:password@]host:port[/db], or rediss://
// for TLS; see go-redis's ParseURL for options) with the namespace DefaultNamespace. It does not
// contact the server.
func Open(rawURL string) (*Store, error) {
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, errors.New("redis store: the URL is not a valid redis:// URL") // err may quote the password
	}
	return New(goredis.NewClient(opts), DefaultNamespace), nil
}

// New returns a store that keeps its records in client under keys starting with namespace.
// Close closes the client. The namespace may be empty; it must not contain '{' or '}', which
// would break the hash tags, and New panics if it does.
func New(client goredis.UniversalClient, namespace string) *Store {
	if strings.ContainsAny(namespace, "{}") {
		panic("redis store: the namespace " + strconv.Quote(namespace) + " contains a brace")
	}
	return &Store{client: client, ns: namespace}
}

// Close closes the client.
func (s *Store) Close() error { return s.client.Close() }

// ref is where a key lives in Redis.
type ref struct {
	key  string // the Redis key of the record
	name string // the key's name in its directory; "" for a key without directory
	dir  string // the Redis key of the directory's name set; "" for a key without directory
}

func (s *Store) ref(key string) ref {
	dir, name := store.Split(key)
	if dir == "" {
		return ref{key: s.ns + key}
	}
	set := s.ns + "{" + dir + "}"
	return ref{key: set + name, name: name, dir: set}
}

// keys are the KEYS of a script for r: the record, then the directory's sets when it has one.
func (r ref) keys() []string {
	if r.dir == "" {
		return []string{r.key}
	}
	return []string{r.key, r.dir, r.dir + "/expiry"}
}

// millis converts a ttl to whole milliseconds, rounding up.
func millis(ttl time.Duration) int64 {
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}

// roundTTL rounds a ttl up to whole milliseconds.
func roundTTL(ttl time.Duration) time.Duration { return time.Duration(millis(ttl)) * time.Millisecond }

func now() int64 { return time.Now().UnixMilli() }

func tagged(value []byte) string {
	b := make([]byte, 1+len(value))
	b[0] = valueTag
	copy(b[1:], value)
	return string(b)
}

// Get implements store.KV.
func (s *Store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	const op = "Get"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return nil, false, err
	}
	raw, err := s.client.Get(ctx, s.ref(key).key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fail(op, key, err)
	}
	if len(raw) == 0 || raw[0] != valueTag {
		return nil, false, store.WrongKind(op, key)
	}
	return raw[1:], true, nil
}

// Put implements store.KV.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "Put"
	if err := check(ctx, op, key, store.CheckPut(op, key, value, ttl)); err != nil {
		return err
	}
	r := s.ref(key)
	if r.dir == "" {
		return fail(op, key, s.client.Set(ctx, r.key, tagged(value), roundTTL(ttl)).Err())
	}
	return fail(op, key, s.run(ctx, putScript, r, "set", tagged(value), millis(ttl), "").Err())
}

// PutIfAbsent implements store.KV.
func (s *Store) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	const op = "PutIfAbsent"
	if err := check(ctx, op, key, store.CheckPut(op, key, value, ttl)); err != nil {
		return false, err
	}
	r := s.ref(key)
	if r.dir == "" {
		created, err := s.client.SetNX(ctx, r.key, tagged(value), roundTTL(ttl)).Result()
		return created, fail(op, key, err)
	}
	n, err := s.run(ctx, putScript, r, "nx", tagged(value), millis(ttl), "").Int()
	return n == 1, fail(op, key, err)
}

// CompareAndSwap implements store.KV.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	const op = "CompareAndSwap"
	if err := check(ctx, op, key, store.CheckPut(op, key, new, ttl)); err != nil {
		return false, err
	}
	n, err := s.run(ctx, putScript, s.ref(key), "cas", tagged(new), millis(ttl), tagged(old)).Int()
	return n == 1, fail(op, key, err)
}

// Delete implements store.KV.
func (s *Store) Delete(ctx context.Context, key string) (bool, error) {
	const op = "Delete"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return false, err
	}
	r := s.ref(key)
	var n int64
	var err error
	if r.dir == "" {
		n, err = s.client.Del(ctx, r.key).Result()
	} else {
		n, err = s.run(ctx, deleteScript, r).Int64()
	}
	return n == 1, fail(op, key, err)
}

// Add implements store.KV.
func (s *Store) Add(ctx context.Context, key string, delta int64) (int64, error) {
	const op = "Add"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return 0, err
	}
	r := s.ref(key)
	if r.dir == "" {
		n, err := s.client.IncrBy(ctx, r.key, delta).Result()
		return n, counterFail(op, key, err)
	}
	raw, err := s.run(ctx, addScript, r, delta).Text()
	if err != nil {
		return 0, counterFail(op, key, err)
	}
	return parseCount(op, key, raw)
}

// Max implements store.KV.
func (s *Store) Max(ctx context.Context, key string, v int64) (int64, error) {
	const op = "Max"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return 0, err
	}
	raw, err := s.run(ctx, maxScript, s.ref(key), strconv.FormatInt(v, 10)).Text()
	if err != nil {
		return 0, counterFail(op, key, err)
	}
	return parseCount(op, key, raw)
}

// Counter implements store.KV.
func (s *Store) Counter(ctx context.Context, key string) (int64, error) {
	const op = "Counter"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return 0, err
	}
	raw, err := s.client.Get(ctx, s.ref(key).key).Result()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fail(op, key, err)
	}
	return parseCount(op, key, raw)
}

// AddMany implements store.KV. It sends every Add in one pipeline: one round trip to a single
// node, one per node of a cluster.
func (s *Store) AddMany(ctx context.Context, deltas map[string]int64) error {
	const op = "AddMany"
	for key := range deltas {
		if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
			return err
		}
	}
	if len(deltas) == 0 {
		return nil
	}
	keys := make([]string, 0, len(deltas))
	cmds := make([]goredis.Cmder, 0, len(deltas))
	_, _ = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for key, delta := range deltas {
			r := s.ref(key)
			keys = append(keys, key)
			if r.dir == "" {
				cmds = append(cmds, p.IncrBy(ctx, r.key, delta))
			} else {
				cmds = append(cmds, addScript.EvalSha(ctx, p, r.keys(), r.name, now(), delta))
			}
		}
		return nil
	})
	var first error
	var unapplied []string
	for i, cmd := range cmds {
		err := cmd.Err()
		if goredis.HasErrorPrefix(err, "NOSCRIPT") {
			// The script did not run: run it again, loading it on the way.
			err = s.run(ctx, addScript, s.ref(keys[i]), deltas[keys[i]]).Err()
		}
		if err == nil {
			continue
		}
		unapplied = append(unapplied, keys[i])
		if first == nil {
			first = counterFail(op, keys[i], err)
		}
	}
	return store.WithUnapplied(first, unapplied)
}

// Scan implements store.KV.
func (s *Store) Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error) {
	const op = "Scan"
	if err := check(ctx, op, dir, store.CheckScan(op, dir, after, limit)); err != nil {
		return nil, err
	}
	set := s.ns + "{" + dir + "}"
	if after != "" {
		after = after[len(dir):]
	}
	raw, err := scanScript.Run(ctx, s.client, []string{set, set + "/expiry"}, after, limit).StringSlice()
	if err != nil {
		return nil, fail(op, dir, err)
	}
	items := make([]store.Item, 0, len(raw)/2)
	for i := 0; i+1 < len(raw); i += 2 {
		key, v := dir+raw[i], raw[i+1]
		if len(v) > 0 && v[0] == valueTag {
			items = append(items, store.Item{Key: key, Value: []byte(v[1:])})
			continue
		}
		n, err := parseCount(op, key, v)
		if err != nil {
			return nil, err
		}
		items = append(items, store.Item{Key: key, Counter: true, Count: n})
	}
	return items, nil
}

// run runs script for r, with ARGV the name of r, the time and args.
func (s *Store) run(ctx context.Context, script *goredis.Script, r ref, args ...any) *goredis.Cmd {
	return script.Run(ctx, s.client, r.keys(), append([]any{r.name, now()}, args...)...)
}

func parseCount(op, key, raw string) (int64, error) {
	if len(raw) > 0 && raw[0] == valueTag {
		return 0, store.WrongKind(op, key)
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, &store.Error{Op: op, Key: key, Kind: store.ErrFailed, Detail: "the counter is not a number"}
	}
	return n, nil
}

// check returns the refusal of a call, or an error for a context that has ended.
func check(ctx context.Context, op, key string, refusal error) error {
	if refusal != nil {
		return refusal
	}
	return store.Fail(op, key, ctx.Err(), nil)
}

func fail(op, key string, err error) error {
	if errors.Is(err, goredis.Nil) {
		err = nil
	}
	return store.Fail(op, key, err, transient)
}

// counterFail is fail for the counter methods, which tell the kinds of records apart through
// Redis's refusals.
func counterFail(op, key string, err error) error {
	switch {
	case err == nil:
		return nil
	case goredis.HasErrorPrefix(err, "WRONGKIND"), strings.Contains(err.Error(), "not an integer"):
		return store.WrongKind(op, key)
	case strings.Contains(err.Error(), "would overflow"):
		return store.Invalid(op, key, "the counter would overflow")
	}
	return fail(op, key, err)
}

// transient reports whether err is a failure that may pass: the network, a full connection
// pool, or a server that is loading, failing over or busy.
func transient(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, goredis.ErrPoolTimeout) || errors.Is(err, goredis.ErrPoolExhausted) {
		return true
	}
	for _, prefix := range []string{"LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY",
		"NOREPLICAS", "max number of clients"} {
		if goredis.HasErrorPrefix(err, prefix) {
			return true
		}
	}
	return false
}
