// Package credential issues the credentials clients need to join a live room: IM UserSigs for
// viewers and anchors now, signed push and play URLs for streams.
package credential

import (
	"context"
	"time"

	"github.com/uriba-live/uriba/shared/live"
)

// AccountImporter makes an account known to IM. Importing an account twice is harmless.
type AccountImporter interface {
	ImportAccount(ctx context.Context, userID string) error
}

// Signer makes UserSigs for the IM app.
type Signer interface {
	Sign(userID string, ttl time.Duration) (sig string, expiresAt time.Time, err error)
}

// UserSig is a credential with which a client logs in to IM as UserID.
type UserSig struct {
	UserID    string    `json:"userId"`
	SDKAppID  int       `json:"sdkAppId"`
	UserSig   string    `json:"userSig"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Issuer issues UserSigs.
type Issuer struct {
	SDKAppID int
	// Admin is the app's IM admin account, for which no UserSig is ever issued;
	// live.DefaultAdmin when empty.
	Admin    string
	Accounts AccountImporter
	Signer   Signer
	TTL      time.Duration // validity of a UserSig; DefaultTTL when zero
}

// DefaultTTL is how long an issued UserSig stays valid: seven days, shorter than the 180 days of
// Tencent's samples so that a leaked credential expires within a week.
const DefaultTTL = 7 * 24 * time.Hour

// IssueUserSig imports userID into IM, then signs a UserSig for it. A user ID that breaks IM's
// rules, that IM reserves, or that is the admin account is refused with an EInvalid error before
// anything reaches IM: the admin's UserSig would open every REST call of the app.
func (i *Issuer) IssueUserSig(ctx context.Context, userID string) (UserSig, error) {
	if err := live.CheckMemberID(userID, i.Admin); err != nil {
		return UserSig{}, err
	}
	if err := i.Accounts.ImportAccount(ctx, userID); err != nil {
		return UserSig{}, err
	}
	ttl := i.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	sig, exp, err := i.Signer.Sign(userID, ttl)
	if err != nil {
		return UserSig{}, err
	}
	return UserSig{UserID: userID, SDKAppID: i.SDKAppID, UserSig: sig, ExpiresAt: exp.UTC()}, nil
}
