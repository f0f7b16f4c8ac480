package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/live"
)

// MerchantKeys authenticates merchant calls: "Authorization: Bearer <key>", where the SHA-256 of
// the key is one of the configured digests. The digest is compared in constant time against every
// configured digest, so timing reveals neither which key matched nor how much of it.
type MerchantKeys struct {
	Digests [][sha256.Size]byte
}

// Require wraps h so that it runs only for a caller with a valid merchant key; CallerFrom then
// returns the merchant.
func (m MerchantKeys) Require(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := m.authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(withCaller(r.Context(), c)))
	}
}

// Check returns nil when r carries a valid merchant key.
func (m MerchantKeys) Check(r *http.Request) error {
	_, err := m.authenticate(r)
	return err
}

// authenticate returns the merchant r comes from, or an EUnauthorized error.
func (m MerchantKeys) authenticate(r *http.Request) (Caller, error) {
	key, ok := authCredentials(r, "Bearer")
	if !ok {
		return Caller{}, live.Errorf(live.EUnauthorized, "A merchant key is required: send Authorization: Bearer <key>.")
	}
	sum := sha256.Sum256([]byte(key))
	match := 0
	for i := range m.Digests {
		match |= subtle.ConstantTimeCompare(sum[:], m.Digests[i][:])
	}
	if match != 1 {
		return Caller{}, live.Errorf(live.EUnauthorized, "The merchant key is not valid.")
	}
	return Caller{Role: RoleMerchant, KeySHA256: sum}, nil
}

// authCredentials returns the credentials of an Authorization header with the given scheme.
func authCredentials(r *http.Request, scheme string) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) <= len(scheme)+1 || !strings.EqualFold(h[:len(scheme)], scheme) || h[len(scheme)] != ' ' {
		return "", false
	}
	c := strings.TrimSpace(h[len(scheme)+1:])
	return c, c != ""
}

// merchantOrViewer runs next for a merchant (Authorization: Bearer) or a viewer (Authorization:
// UserSig with X-User-Id).
func merchantOrViewer(merchants MerchantKeys, viewers Viewers, next HandlerFunc) HandlerFunc {
	merchant, viewer := merchants.Require(next), viewers.Require(next)
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, ok := authCredentials(r, "UserSig"); ok {
			return viewer(w, r)
		}
		if _, ok := authCredentials(r, "Bearer"); ok {
			return merchant(w, r)
		}
		return live.Errorf(live.EUnauthorized, "Send a merchant key (Authorization: Bearer <key>) or a viewer's Authorization: UserSig <sig> and X-User-Id.")
	}
}

// UserSigVerifier checks a viewer's IM UserSig; tim.VerifyUserSig with the app's key fits.
type UserSigVerifier func(userID, userSig string, now time.Time) error

// Viewers authenticates viewer calls: "Authorization: UserSig <sig>" and "X-User-Id: <id>", where
// the UserSig was issued by the IM app for that user and has not expired.
type Viewers struct {
	Verify UserSigVerifier
	Now    func() time.Time
	// Admin is the app's IM admin account, which no viewer may act for; live.DefaultAdmin when
	// empty.
	Admin string
}

// Require wraps h so that it runs only for an authenticated viewer; CallerFrom and ViewerID then
// return the viewer. A user ID that breaks IM's rules, that IM reserves or that is the admin
// account is refused with EInvalid before its UserSig is checked.
func (v Viewers) Require(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		userID := r.Header.Get("X-User-Id")
		sig, ok := authCredentials(r, "UserSig")
		if !ok || userID == "" {
			return live.Errorf(live.EUnauthorized, "A viewer must send Authorization: UserSig <sig> and X-User-Id.")
		}
		if err := live.CheckMemberID(userID, v.Admin); err != nil {
			return live.InField("X-User-Id", err)
		}
		now := time.Now
		if v.Now != nil {
			now = v.Now
		}
		if err := v.Verify(userID, sig, now()); err != nil {
			return live.Errorf(live.EUnauthorized, "The UserSig is not valid for this user, or has expired.")
		}
		return h(w, r.WithContext(withCaller(r.Context(), Caller{Role: RoleViewer, UserID: userID})))
	}
}

// Role is how a caller authenticated.
type Role int

// Roles of callers.
const (
	// RoleMerchant is a caller with a merchant key.
	RoleMerchant Role = iota + 1
	// RoleViewer is a viewer with a UserSig the IM app issued.
	RoleViewer
)

// Caller is who sent a request, as authentication established it. MerchantKeys.Require and
// Viewers.Require put it in the request's context; handlers and middleware read it with
// CallerFrom rather than from the request's headers.
type Caller struct {
	Role Role
	// KeySHA256 is the SHA-256 of a merchant's key, which tells merchants apart without keeping
	// their keys; zero for a viewer.
	KeySHA256 [sha256.Size]byte
	// UserID is a viewer's IM user ID; empty for a merchant.
	UserID string
}

type callerKey struct{}

func withCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the authenticated caller of a request, and false outside MerchantKeys.Require
// and Viewers.Require.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// ViewerID returns the authenticated viewer's user ID, or "" when the caller is not a viewer.
func ViewerID(ctx context.Context) string {
	if c, ok := CallerFrom(ctx); ok && c.Role == RoleViewer {
		return c.UserID
	}
	return ""
}
