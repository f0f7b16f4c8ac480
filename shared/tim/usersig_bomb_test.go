package tim

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// userSigEncoding is the base64 variant UserSigs are written in.
var userSigEncoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-").WithPadding('_')

// encodeUserSig compresses payload at the given zlib level and encodes it as a UserSig.
func encodeUserSig(tb testing.TB, payload []byte, level int) string {
	tb.Helper()
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(payload); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return userSigEncoding.EncodeToString(b.Bytes())
}

// zeroBomb returns a UserSig that inflates to n zero bytes.
func zeroBomb(tb testing.TB, n int) string {
	tb.Helper()
	return encodeUserSig(tb, make([]byte, n), zlib.BestCompression)
}

// smallBomb is the largest zero bomb that still fits maxUserSigBytes: about 1.4 MB of zeros in a
// UserSig of under 2 KB.
func smallBomb(tb testing.TB) string {
	tb.Helper()
	sig := zeroBomb(tb, 1_400_000)
	if len(sig) > maxUserSigBytes {
		tb.Fatalf("the small bomb is %d bytes, over the %d-byte limit", len(sig), maxUserSigBytes)
	}
	return sig
}

// allocatedPerCall returns the bytes the heap handed out per call of f, on average over n calls.
func allocatedPerCall(n int, f func()) uint64 {
	f() // warm up lazily built tables
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

func TestVerifyUserSigRefusesDecompressionBombs(t *testing.T) {
	bombs := map[string]string{
		// Longer than any UserSig: refused before it is decoded.
		"64 MB of zeros in 90 KB": zeroBomb(t, 64<<20),
		// Short enough to be decoded: refused once the inflated JSON passes its limit.
		"1.4 MB of zeros in 2 KB": smallBomb(t),
	}
	for name, sig := range bombs {
		t.Run(name, func(t *testing.T) {
			check := func() error { return VerifyUserSig(testAppID, testKey, "viewer_1", sig, time.Now()) }
			if err := check(); !errors.Is(err, ErrUserSigInvalid) || !errors.Is(err, ErrAuth) {
				t.Fatalf("VerifyUserSig: %v, want an auth error wrapping ErrUserSigInvalid", err)
			}
			perCall := allocatedPerCall(20, func() { _ = check() })
			t.Logf("a %d-byte bomb costs %d bytes of heap per check", len(sig), perCall)
			if perCall > 1<<20 {
				t.Errorf("checking the bomb allocates %d bytes, want under 1 MiB", perCall)
			}
		})
	}
}

func TestVerifyUserSigAcceptsCompressedUserSigs(t *testing.T) {
	// Tencent's SDKs in other languages compress the document; the Go one stores it.
	now := time.Now()
	doc := userSigDoc{Version: "2.0", Identifier: "viewer_1", SDKAppID: testAppID, Expire: 3600, Time: now.Unix()}
	doc.Sig = doc.sign(testKey)
	payload, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []int{zlib.NoCompression, zlib.BestSpeed, zlib.DefaultCompression, zlib.BestCompression} {
		sig := encodeUserSig(t, payload, level)
		if err := VerifyUserSig(testAppID, testKey, "viewer_1", sig, now); err != nil {
			t.Errorf("level %d: %v", level, err)
		}
	}
}

func TestVerifyUserSigTellsWhyItIsInvalid(t *testing.T) {
	sig, _, err := GenUserSig(testAppID, testKey, "viewer_1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	truncated := sig[:len(sig)-8]
	doc := userSigDoc{Version: "2.0", Identifier: "viewer_1", SDKAppID: testAppID, Expire: 3600, Time: now.Unix(), UserBuf: []byte{0}}
	doc.Sig = doc.sign(testKey)
	payload, _ := json.Marshal(doc)
	privateMapKey := encodeUserSig(t, payload, zlib.DefaultCompression)
	tests := []struct {
		name   string
		app    int
		key    string
		user   string
		sig    string
		target error
	}{
		{"another app", testAppID + 1, testKey, "viewer_1", sig, ErrUserSigWrongApp},
		{"another user", testAppID, testKey, "viewer_2", sig, ErrUserSigWrongUser},
		{"another key", testAppID, "another-key", "viewer_1", sig, ErrUserSigWrongKey},
		{"truncated", testAppID, testKey, "viewer_1", truncated, ErrUserSigInvalid},
		{"not zlib", testAppID, testKey, "viewer_1", userSigEncoding.EncodeToString([]byte(strings.Repeat("x", 40))), ErrUserSigInvalid},
		{"not JSON", testAppID, testKey, "viewer_1", encodeUserSig(t, []byte("{"), zlib.BestSpeed), ErrUserSigInvalid},
		{"a PrivateMapKey", testAppID, testKey, "viewer_1", privateMapKey, ErrUserSigInvalid},
	}
	for _, tt := range tests {
		err := VerifyUserSig(tt.app, tt.key, tt.user, tt.sig, now)
		if !errors.Is(err, tt.target) || !errors.Is(err, ErrUserSigInvalid) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.target)
		}
	}
}

func BenchmarkVerifyUserSig(b *testing.B) {
	sig, _, err := GenUserSig(testAppID, testKey, "viewer_1", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for name, s := range map[string]string{"valid": sig, "bomb": smallBomb(b)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = VerifyUserSig(testAppID, testKey, "viewer_1", s, time.Now())
			}
		})
	}
}
