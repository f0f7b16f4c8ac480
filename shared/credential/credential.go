// Package credential issues the credentials clients need to join a live room: IM UserSigs for
// viewers and anchors now, signed push and play URLs for streams.
package credential

import (
	"context"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uriba-live/uriba/shared/live"
)

// AccountImporter makes an account known to IM with the profile given. Importing an account
// twice is harmless; a nickname or avatar given again replaces the profile's, an empty one leaves
// it as it is.
type AccountImporter interface {
	ImportAccount(ctx context.Context, userID string, p Profile) error
}

// Profile is what viewers see of an account: its IM nickname (Tag_Profile_IM_Nick) and avatar
// (Tag_Profile_IM_Image). Empty fields are left as they are.
type Profile struct {
	Nick   string `json:"nick,omitempty"`
	Avatar string `json:"avatar,omitempty"`
}

// Profile limits, IM's own.
const (
	// MaxNickBytes is the longest nickname IM takes, in bytes.
	MaxNickBytes = 64
	// MaxAvatarBytes is the longest avatar URL IM takes, in bytes.
	MaxAvatarBytes = 500
)

// Validate checks p against IM's limits: a nickname of at most MaxNickBytes bytes of UTF-8 text
// without control characters, an avatar that is an https URL of at most MaxAvatarBytes bytes.
func (p Profile) Validate() error {
	if len(p.Nick) > MaxNickBytes {
		return live.Errorf(live.EInvalid, "nick is %d bytes long; IM takes at most %d.", len(p.Nick), MaxNickBytes)
	}
	if !utf8.ValidString(p.Nick) || strings.ContainsFunc(p.Nick, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return live.Errorf(live.EInvalid, "nick must be text without control characters.")
	}
	if p.Avatar == "" {
		return nil
	}
	if len(p.Avatar) > MaxAvatarBytes {
		return live.Errorf(live.EInvalid, "avatar is %d bytes long; IM takes at most %d.", len(p.Avatar), MaxAvatarBytes)
	}
	u, err := url.Parse(p.Avatar)
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsFunc(p.Avatar, func(r rune) bool { return r <= 0x20 || r >= 0x7f }) {
		return live.Errorf(live.EInvalid, "avatar must be an https URL, such as https://example.com/me.png.")
	}
	return nil
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

// IssueUserSig imports userID into IM with profile p, in one call, then signs a UserSig for it.
// A user ID that breaks IM's rules, that IM reserves, or that is the admin account, and a profile
// beyond IM's limits, are refused with an EInvalid error before anything reaches IM: the admin's
// UserSig would open every REST call of the app.
func (i *Issuer) IssueUserSig(ctx context.Context, userID string, p Profile) (UserSig, error) {
	if err := live.CheckMemberID(userID, i.Admin); err != nil {
		return UserSig{}, err
	}
	if err := p.Validate(); err != nil {
		return UserSig{}, err
	}
	if err := i.Accounts.ImportAccount(ctx, userID, p); err != nil {
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
