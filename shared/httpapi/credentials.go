package httpapi

import (
	"net/http"

	"github.com/uriba-live/uriba/shared/credential"
	"github.com/uriba-live/uriba/shared/live"
)

// Credentials holds what the credential endpoints need.
type Credentials struct {
	Issuer    *credential.Issuer
	Merchants MerchantKeys
}

// Register adds the credential endpoints to rt:
//
//	POST /v1/users/{userId}/usersig  (merchant) import the account into IM, with the optional
//	                                  {nick, avatar} as its profile, and return a UserSig; never
//	                                  for the IM admin account or IM's own accounts
func (c Credentials) Register(rt *Router) {
	rt.Handle("POST /v1/users/{userId}/usersig", c.Merchants.Require(c.issueUserSig))
}

func (c Credentials) issueUserSig(w http.ResponseWriter, r *http.Request) error {
	userID := r.PathValue("userId")
	if err := live.ValidateUserID(userID); err != nil {
		return err
	}
	var profile credential.Profile
	if err := DecodeJSON(r, &profile, true); err != nil {
		return err
	}
	sig, err := c.Issuer.IssueUserSig(r.Context(), userID, profile)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, sig)
}
