package tim

import (
	"compress/zlib"
	"errors"
	"testing"
	"time"
)

// FuzzParseUserSig feeds arbitrary UserSigs to the parser and to VerifyUserSig. They must never
// panic, must refuse anything longer than maxUserSigBytes or inflating past
// maxUserSigJSONBytes, and must accept only a UserSig of the right app and user signed with the
// key.
func FuzzParseUserSig(f *testing.F) {
	valid, _, err := GenUserSig(testAppID, testKey, "viewer_1", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		valid, valid[:len(valid)/2], "", "not-a-sig!", "eJw_", "eJwDAAAAAAE_",
		encodeUserSig(f, []byte(`{"TLS.ver":"2.0","TLS.identifier":"viewer_1","TLS.sdkappid":1}`), zlib.BestCompression),
		encodeUserSig(f, []byte(`{"TLS.userbuf":"AA==","TLS.sig":"AA=="}`), zlib.NoCompression),
		encodeUserSig(f, make([]byte, 4096), zlib.BestCompression),
	} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, sig string) {
		doc, err := parseUserSig(sig)
		if err != nil {
			if !errors.Is(err, ErrUserSigInvalid) {
				t.Fatalf("parseUserSig(%q): %v does not wrap ErrUserSigInvalid", sig, err)
			}
		} else if len(sig) > maxUserSigBytes {
			t.Fatalf("parseUserSig accepted a %d-byte UserSig", len(sig))
		}
		err = VerifyUserSig(testAppID, testKey, "viewer_1", sig, now)
		switch {
		case err == nil:
			if doc.Identifier != "viewer_1" || doc.SDKAppID != testAppID {
				t.Fatalf("VerifyUserSig accepted %q, a UserSig of %q for %d", sig, doc.Identifier, doc.SDKAppID)
			}
		case !errors.Is(err, ErrAuth) || !errors.Is(err, ErrUserSigInvalid) && !errors.Is(err, ErrUserSigExpired):
			t.Fatalf("VerifyUserSig(%q): %v", sig, err)
		}
	})
}
