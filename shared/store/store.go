// Package store defines the key-value port that uriba's repositories (rooms, levels, wallets,
// like and viewer counters, idempotency and dedupe records) are built on, and the rules every
// adapter keeps: bolt (embedded), dynamo (Amazon DynamoDB) and redis (any Redis). The contract
// test suite in package storetest checks those rules against each adapter.
//
// # Records
//
// A key names one record, which is either a value (bytes, written by Put, PutIfAbsent and
// CompareAndSwap) or a counter (an int64, written by Add, Max and AddMany). Put replaces a
// record of either kind; the counter methods fail with ErrWrongKind on a key that holds a value,
// and Get fails with it on a key that holds a counter. An absent counter reads as 0.
//
// A value may expire: ttl 0 keeps it until it is replaced or deleted, a positive ttl makes it
// disappear ttl after the write (DynamoDB rounds the moment up to the next whole second, so a
// value lives between ttl and ttl+1s there). An expired value is absent for every method, even
// while the backend still holds it. Counters never expire; Delete resets one.
//
// # Keys and directories
//
// Keys are 1 to MaxKeySize bytes of UTF-8 and do not end with '/'. The last '/' of a key splits
// it into a directory (up to and including that '/') and a name: "rooms/status/live/r1" is the
// record "r1" in the directory "rooms/status/live/". Scan lists one directory, in byte order of
// the names, and never the records of nested directories ("rooms/status/live/r1/x" is in
// "rooms/status/live/r1/"). A key without '/' is in no directory and cannot be listed. Keep the
// records a repository must list in one directory, and every other record, such as a dedupe
// record written at a high rate, out of directories ("dedupe#msg#123").
//
// # Atomicity and retries
//
// Each method is atomic on its key, including under concurrent callers in other processes. No
// method is atomic across keys: AddMany applies each delta atomically, but on failure some deltas
// may have been applied and others not. Adapters retry transient failures within their client's
// retry budget, so a write that failed with ErrUnavailable, or even one that succeeded, may have
// been applied more than once when a reply was lost: Add is at-least-once. Where that matters
// (money, levels), guard the write with a PutIfAbsent dedupe record or a CompareAndSwap on a
// value that records the operation.
//
// The adapter is the one layer that retries a store call. With the clients' defaults one call
// makes at most: 1 attempt on bolt (a local file), 3 on dynamo (the AWS SDK's standard retryer),
// and 4 on redis (go-redis's 3 retries of a network failure). ErrUnavailable means those
// attempts are spent; callers must not repeat the call in a loop of their own, but fail the
// request (HTTP 503 with Retry-After) or leave the work to the queue's redelivery.
package store

import (
	"context"
	"time"
)

// Limits every adapter enforces before sending anything; a call beyond them fails with
// ErrInvalid.
const (
	// MaxKeySize is the longest key, in bytes.
	MaxKeySize = 1024
	// MaxValueSize is the largest value, in bytes.
	MaxValueSize = 256 << 10
	// MaxScan is the largest limit Scan accepts.
	MaxScan = 1000
)

// KV is the key-value port: values and counters. Every method fails with an *Error (see
// ErrUnavailable, ErrInvalid, ErrWrongKind and ErrFailed); a context that ends before the store
// answers yields ErrUnavailable wrapping the context's error.
type KV interface {
	Values
	Counters
}

// Values are the port's methods on value records. A service that needs only these takes Values.
type Values interface {
	// Get returns the value of key and true, or false when the key holds no value or an expired
	// one. The returned slice belongs to the caller.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)

	// Put stores value under key, replacing any record. A positive ttl makes the value expire ttl
	// later; ttl 0 keeps it forever.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// PutIfAbsent stores value under key only when the key holds no record or an expired value,
	// and reports whether it did. Of concurrent callers on one key, exactly one succeeds.
	PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (created bool, err error)

	// CompareAndSwap replaces the value of key with new, and the value's ttl with ttl, only when
	// the key holds the unexpired value old, and reports whether it did. A key that holds no value
	// or a counter is never swapped. Read with Get, compute, then CompareAndSwap, and start again
	// when it reports false: no update is lost.
	CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (swapped bool, err error)

	// Delete removes the record of key, of either kind, and reports whether there was one (an
	// expired value does not count).
	Delete(ctx context.Context, key string) (existed bool, err error)

	// Scan lists the records of the directory dir, which ends with '/': those named after the
	// key after (or from the first, when after is ""), at most limit (1 to MaxScan) of them, in
	// byte order of their keys. Expired values are skipped. Pass the last key of a page as after
	// to get the next page; a page shorter than limit is the last.
	Scan(ctx context.Context, dir, after string, limit int) ([]Item, error)
}

// Counters are the port's methods on counter records.
type Counters interface {
	// Add adds delta to the counter key, creating it at 0 first, and returns the new count. It
	// fails with ErrInvalid, changing nothing, when the count would leave the int64 range.
	Add(ctx context.Context, key string, delta int64) (int64, error)

	// Max raises the counter key to v when it is lower (an absent counter is 0) and returns the
	// count it then holds, max(count, v). It keeps peaks, such as the most viewers of a room.
	Max(ctx context.Context, key string, v int64) (int64, error)

	// Counter returns the counter key, or 0 when it is absent.
	Counter(ctx context.Context, key string) (int64, error)

	// AddMany adds each delta to its counter, as Add does, in as few round trips as the backend
	// allows. It is not atomic across keys: when it fails, some deltas may have been applied, and
	// Unapplied(err, deltas) tells which ones may not have been.
	AddMany(ctx context.Context, deltas map[string]int64) error
}

// Item is one record listed by Scan.
type Item struct {
	// Key is the record's full key.
	Key string
	// Counter reports whether the record is a counter.
	Counter bool
	// Value is the value of a value record, and nil for a counter.
	Value []byte
	// Count is the count of a counter, and 0 for a value.
	Count int64
}
