package tim

import (
	"errors"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// Errors of VerifyUserSig, wrapped in an *Error of KindAuth.
var (
	// ErrUserSigExpired means the UserSig was valid once and has expired.
	ErrUserSigExpired = errors.New("tim: UserSig expired")
	// ErrUserSigInvalid means the UserSig is malformed, or was made for another app, another
	// user or with another key.
	ErrUserSigInvalid = errors.New("tim: UserSig invalid")
)

// maxUserSigBytes bounds the UserSig VerifyUserSig will decode. Real ones are a few hundred
// bytes; the bound keeps a hostile header from making the decompressor work hard.
const maxUserSigBytes = 2048

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
// ErrUserSigInvalid. A handler that authenticates a viewer with it should answer 401 itself
// rather than map the error through ErrorCode, which speaks of the admin credentials.
func VerifyUserSig(sdkAppID int, key, userID, sig string, now time.Time) error {
	const call = "VerifyUserSig"
	if err := checkSigParams(call, sdkAppID, key, userID); err != nil {
		return err
	}
	if sig == "" || len(sig) > maxUserSigBytes {
		return &Error{Call: call, Kind: KindAuth, Err: ErrUserSigInvalid}
	}
	switch err := tencentyun.VerifyUserSig(uint64(sdkAppID), key, userID, sig, now); {
	case err == nil:
		return nil
	case errors.Is(err, tencentyun.ErrExpired):
		return &Error{Call: call, Kind: KindAuth, Err: ErrUserSigExpired}
	default:
		return &Error{Call: call, Kind: KindAuth, Err: ErrUserSigInvalid}
	}
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
