package tim

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// Errors of VerifyUserSig, wrapped in an *Error of KindAuth. ErrUserSigWrongApp,
// ErrUserSigWrongUser and ErrUserSigWrongKey say why a UserSig is invalid, and each of them
// also matches ErrUserSigInvalid.
var (
	// ErrUserSigExpired means the UserSig was valid once and has expired.
	ErrUserSigExpired = errors.New("tim: UserSig expired")
	// ErrUserSigInvalid means the UserSig is malformed, or was made for another app, another
	// user or with another key.
	ErrUserSigInvalid = errors.New("tim: UserSig invalid")
	// ErrUserSigWrongApp means the UserSig is well formed but was made for another SDKAppID.
	ErrUserSigWrongApp = fmt.Errorf("%w: made for another SDKAppID", ErrUserSigInvalid)
	// ErrUserSigWrongUser means the UserSig is well formed but was made for another UserID.
	ErrUserSigWrongUser = fmt.Errorf("%w: made for another UserID", ErrUserSigInvalid)
	// ErrUserSigWrongKey means the UserSig names the right app and user but its signature was
	// not made with the app's key.
	ErrUserSigWrongKey = fmt.Errorf("%w: not signed with this key", ErrUserSigInvalid)
)

// Size limits of a UserSig, applied before and while it is decoded. A UserSig is the
// base64url encoding of a zlib stream holding a small JSON document: version, UserID (at most
// 32 bytes), SDKAppID, issue time, lifetime and a 32-byte HMAC. Encoded it is a few hundred
// bytes, and its JSON stays under 400 bytes even with every character of the UserID escaped.
// The limits leave room for that and refuse the rest: a longer UserSig is refused before it is
// decoded, and one whose JSON inflates past maxUserSigJSONBytes is refused as soon as the
// decompressor has produced that much. So a hostile UserSig (a "zip bomb" of zeros) costs no
// more than a valid one: about 50 KB of heap, mostly the decompressor's window.
const (
	maxUserSigBytes     = 2048
	maxUserSigJSONBytes = 2048
)

// Admin UserSig lifetime: generated for adminSigTTL and renewed once less than
// adminSigRenewBefore is left.
const (
	adminSigTTL         = 24 * time.Hour
	adminSigRenewBefore = time.Hour
)

// GenUserSig returns a UserSig for userID, valid for ttl (whole seconds, at least one), and the
// time it expires. The expiry is computed conservatively: the signature is never valid for less
// time than expiresAt says.
func GenUserSig(sdkAppID int, key, userID string, ttl time.Duration) (sig string, expiresAt time.Time, err error) {
	const call = "GenUserSig"
	if err := checkSigParams(call, sdkAppID, key, userID); err != nil {
		return "", time.Time{}, err
	}
	secs := int64(ttl / time.Second)
	if secs < 1 || secs > 1<<31-1 {
		return "", time.Time{}, &Error{Call: call, Kind: KindInvalid, Field: "ttl", Detail: "must be between 1 second and 68 years"}
	}
	now := time.Now().Unix()
	sig, err = tencentyun.GenUserSig(sdkAppID, key, userID, int(secs))
	if err != nil {
		return "", time.Time{}, &Error{Call: call, Kind: KindAuth, Detail: "signing failed", Err: err}
	}
	return sig, time.Unix(now+secs, 0), nil
}

// VerifyUserSig checks that sig is a UserSig of userID for the app, made with key and still
// valid at now. It returns nil, or an *Error of KindAuth wrapping ErrUserSigExpired or
// ErrUserSigInvalid (ErrUserSigWrongApp, ErrUserSigWrongUser or ErrUserSigWrongKey when the
// UserSig is well formed). A handler that authenticates a viewer with it should answer 401
// itself rather than map the error through ErrorCode, which speaks of the admin credentials.
//
// Every UserSig check of the project goes through VerifyUserSig: it bounds the work a hostile
// UserSig can cause (see maxUserSigBytes).
func VerifyUserSig(sdkAppID int, key, userID, sig string, now time.Time) error {
	const call = "VerifyUserSig"
	if err := checkSigParams(call, sdkAppID, key, userID); err != nil {
		return err
	}
	doc, err := parseUserSig(sig)
	if err != nil {
		return &Error{Call: call, Kind: KindAuth, Err: err}
	}
	switch {
	case doc.SDKAppID != uint64(sdkAppID):
		err = ErrUserSigWrongApp
	case doc.Identifier != userID:
		err = ErrUserSigWrongUser
	case doc.UserBuf != nil: // a PrivateMapKey, not a UserSig
		err = ErrUserSigInvalid
	case !hmac.Equal(doc.sign(key), doc.Sig):
		err = ErrUserSigWrongKey
	case doc.Expire < 0 || now.Unix()-doc.Time > doc.Expire:
		err = ErrUserSigExpired
	default:
		return nil
	}
	return &Error{Call: call, Kind: KindAuth, Err: err}
}

// userSigDoc is the JSON document inside a UserSig, as tencentyun.GenUserSig writes it.
type userSigDoc struct {
	Version    string `json:"TLS.ver"`
	Identifier string `json:"TLS.identifier"`
	SDKAppID   uint64 `json:"TLS.sdkappid"`
	Expire     int64  `json:"TLS.expire"`
	Time       int64  `json:"TLS.time"`
	UserBuf    []byte `json:"TLS.userbuf"`
	Sig        []byte `json:"TLS.sig"`
}

// userSigAlphabet is the base64 variant of UserSigs: '*' for '+', '-' for '/', '_' for '='.
var userSigAlphabet = strings.NewReplacer("*", "+", "-", "/", "_", "=")

// parseUserSig decodes a UserSig into its document, refusing one longer than maxUserSigBytes
// before decoding it and one whose JSON inflates past maxUserSigJSONBytes. Its errors wrap
// ErrUserSigInvalid.
func parseUserSig(sig string) (userSigDoc, error) {
	var doc userSigDoc
	if sig == "" || len(sig) > maxUserSigBytes {
		return doc, ErrUserSigInvalid
	}
	compressed, err := base64.StdEncoding.DecodeString(userSigAlphabet.Replace(sig))
	if err != nil {
		return doc, ErrUserSigInvalid
	}
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return doc, ErrUserSigInvalid
	}
	// One byte more than allowed tells an oversize document from one of exactly the limit. A
	// document within the limit was read to the end, so its checksum was verified.
	data, err := io.ReadAll(io.LimitReader(zr, maxUserSigJSONBytes+1))
	if err != nil || len(data) > maxUserSigJSONBytes {
		return doc, ErrUserSigInvalid
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return doc, ErrUserSigInvalid
	}
	return doc, nil
}

// sign returns the HMAC-SHA256 of the document's fields under key, as Tencent computes it.
func (d *userSigDoc) sign(key string) []byte {
	h := hmac.New(sha256.New, []byte(key))
	var b []byte
	b = append(b, "TLS.identifier:"...)
	b = append(b, d.Identifier...)
	b = append(b, "\nTLS.sdkappid:"...)
	b = strconv.AppendUint(b, d.SDKAppID, 10)
	b = append(b, "\nTLS.time:"...)
	b = strconv.AppendInt(b, d.Time, 10)
	b = append(b, "\nTLS.expire:"...)
	b = strconv.AppendInt(b, d.Expire, 10)
	b = append(b, '\n')
	if d.UserBuf != nil {
		b = append(b, "TLS.userbuf:"...)
		b = base64.StdEncoding.AppendEncode(b, d.UserBuf)
		b = append(b, '\n')
	}
	h.Write(b)
	return h.Sum(nil)
}

func checkSigParams(call string, sdkAppID int, key, userID string) error {
	if sdkAppID <= 0 || uint64(sdkAppID) > math.MaxUint32 {
		return &Error{Call: call, Kind: KindInvalid, Field: "SDKAppID", Detail: "must be a positive 32-bit number"}
	}
	if key == "" {
		return &Error{Call: call, Kind: KindInvalid, Field: "SecretKey", Detail: "must not be empty"}
	}
	if err := ValidateUserID(userID); err != nil {
		return in(call, err)
	}
	return nil
}

// adminCreds is the admin identity of a client at one time: the URL query prefix carrying the
// UserSig, and when to renew it.
type adminCreds struct {
	query   string // "sdkappid=…&identifier=…&usersig=…&random="
	renewAt time.Time
	expires time.Time
	sig     string
}

// credentials returns the cached admin credentials, generating them when absent or due. While
// a still-valid UserSig is being renewed, other callers keep using it; when there is none valid,
// they wait for the one goroutine that generates it, so a burst never generates more than once.
func (c *Client) credentials() (*adminCreds, error) {
	now := c.now()
	cur := c.creds.Load()
	if cur != nil && now.Before(cur.renewAt) {
		return cur, nil
	}
	if cur != nil && now.Before(cur.expires) {
		if !c.credsMu.TryLock() {
			return cur, nil
		}
	} else {
		c.credsMu.Lock()
	}
	defer c.credsMu.Unlock()
	if cur := c.creds.Load(); cur != nil && now.Before(cur.renewAt) {
		return cur, nil
	}
	sig, err := c.genSig(c.cfg.SDKAppID, c.cfg.SecretKey, c.cfg.Admin, adminSigTTL)
	if err != nil {
		return nil, &Error{Kind: KindAuth, Detail: "generating the admin UserSig failed", Err: err}
	}
	expires := now.Add(adminSigTTL)
	next := &adminCreds{
		query: "sdkappid=" + strconv.Itoa(c.cfg.SDKAppID) +
			"&identifier=" + url.QueryEscape(c.cfg.Admin) +
			"&usersig=" + url.QueryEscape(sig) +
			"&random=",
		renewAt: expires.Add(-adminSigRenewBefore),
		expires: expires,
		sig:     sig,
	}
	c.creds.Store(next)
	return next, nil
}

func genAdminSig(sdkAppID int, key, userID string, ttl time.Duration) (string, error) {
	return tencentyun.GenUserSig(sdkAppID, key, userID, int(ttl/time.Second))
}
