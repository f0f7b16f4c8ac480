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

// Require wraps h so that it runs only for a caller with a valid merchant key.
func (m MerchantKeys) Require(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := m.Check(r); err != nil {
			return err
		}
		return h(w, r)
	}
}

// Check returns nil when r carries a valid merchant key.
func (m MerchantKeys) Check(r *http.Request) error {
	key, ok := authCredentials(r, "Bearer")
	if !ok {
		return live.Errorf(live.EUnauthorized, "A merchant key is required: send Authorization: Bearer <key>.")
	}
	sum := sha256.Sum256([]byte(key))
	match := 0
	for i := range m.Digests {
		match |= subtle.ConstantTimeCompare(sum[:], m.Digests[i][:])
	}
	if match != 1 {
		return live.Errorf(live.EUnauthorized, "The merchant key is not valid.")
	}
	return nil
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

// UserSigVerifier checks a viewer's IM UserSig; tim.VerifyUserSig with the app's key fits.
type UserSigVerifier func(userID, userSig string, now time.Time) error

// Viewers authenticates viewer calls: "Authorization: UserSig <sig>" and "X-User-Id: <id>", where
// the UserSig was issued by the IM app for that user and has not expired.
type Viewers struct {
	Verify UserSigVerifier
	Now    func() time.Time
}

type viewerKey struct{}

// Require wraps h so that it runs only for an authenticated viewer; ViewerID then returns the
// viewer's user ID.
func (v Viewers) Require(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		userID := r.Header.Get("X-User-Id")
		sig, ok := authCredentials(r, "UserSig")
		if !ok || userID == "" {
			return live.Errorf(live.EUnauthorized, "A viewer must send Authorization: UserSig <sig> and X-User-Id.")
		}
		if err := ValidateUserID(userID); err != nil {
			return err
		}
		now := time.Now
		if v.Now != nil {
			now = v.Now
		}
		if err := v.Verify(userID, sig, now()); err != nil {
			return live.Errorf(live.EUnauthorized, "The UserSig is not valid for this user, or has expired.")
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), viewerKey{}, userID)))
	}
}

// ViewerID returns the authenticated viewer's user ID, or "" outside Viewers.Require.
func ViewerID(ctx context.Context) string {
	id, _ := ctx.Value(viewerKey{}).(string)
	return id
}

// ValidateUserID checks a user ID as IM accepts it: 1 to 32 bytes of printable ASCII.
func ValidateUserID(id string) error {
	if id == "" || len(id) > 32 {
		return live.Errorf(live.EInvalid, "A user ID must be 1 to 32 bytes long.")
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return live.Errorf(live.EInvalid, "A user ID must be printable ASCII without control characters.")
		}
	}
	return nil
}
