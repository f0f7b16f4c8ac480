// Package compose builds uriba's adapters from configuration, so that every function's main and
// the dev server assemble the same pieces in the same way.
package compose

import (
	"context"
	"log/slog"
	"time"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/credential"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/tim"
)

// IMClient returns a Tencent IM REST client for the configured app.
func IMClient(c config.IM, logger *slog.Logger) (*tim.Client, error) {
	return tim.NewClient(tim.ClientConfig{
		SDKAppID:  c.SDKAppID,
		SecretKey: c.SecretKey.Reveal(),
		Admin:     c.Admin,
		BaseURL:   c.BaseURL,
		Region:    c.Region,
		Logger:    logger,
	})
}

// Issuer returns the UserSig issuer of the configured app, importing accounts through im.
func Issuer(c config.IM, im *tim.Client) *credential.Issuer {
	return &credential.Issuer{
		SDKAppID: c.SDKAppID,
		Admin:    c.Admin,
		Accounts: accountImporter{im},
		Signer:   userSigner{appID: c.SDKAppID, key: c.SecretKey},
	}
}

// Viewers returns the viewer authentication of the configured app.
func Viewers(c config.IM) httpapi.Viewers {
	return httpapi.Viewers{Admin: c.Admin, Verify: func(userID, sig string, now time.Time) error {
		return tim.VerifyUserSig(c.SDKAppID, c.SecretKey.Reveal(), userID, sig, now)
	}}
}

type accountImporter struct{ im *tim.Client }

func (a accountImporter) ImportAccount(ctx context.Context, userID string) error {
	return a.im.AccountImport(ctx, tim.AccountImportRequest{UserID: userID})
}

type userSigner struct {
	appID int
	key   config.Secret
}

func (s userSigner) Sign(userID string, ttl time.Duration) (string, time.Time, error) {
	return tim.GenUserSig(s.appID, s.key.Reveal(), userID, ttl)
}
