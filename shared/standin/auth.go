package standin

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/uriba-live/uriba/shared/tim"
)

// verifyUserSig checks that sig is a valid UserSig of userID for this app now, and maps the
// failures to IM's account error codes.
func (im *IM) verifyUserSig(userID, sig string) *imError {
	if sig == "" {
		return errorf(codeSigEmpty, "UserSig is empty")
	}
	// tim.VerifyUserSig is the one UserSig check of the project, here as in production: it
	// bounds the work a hostile UserSig can cause.
	err := tim.VerifyUserSig(im.cfg.SDKAppID, im.cfg.SecretKey, userID, sig, im.now())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tim.ErrUserSigExpired):
		return errorf(codeSigExpired, "UserSig expired")
	case errors.Is(err, tim.ErrUserSigWrongKey):
		return errorf(codeSigWrongKey, "UserSig verification failed: it was not made with this app's key")
	case errors.Is(err, tim.ErrUserSigWrongUser):
		return errorf(codeSigWrongUser, "UserSig was made for another UserID")
	case errors.Is(err, tim.ErrUserSigWrongApp):
		return errorf(codeSigWrongApp, "UserSig was made for another SDKAppID")
	default:
		return errorf(codeSigInvalid, "UserSig cannot be parsed")
	}
}

// authorizeAdmin checks the query of a REST call: the SDKAppID, the admin identifier, its
// UserSig and random, in that order.
func (im *IM) authorizeAdmin(r *http.Request) *imError {
	q := r.URL.Query()
	appID, err := strconv.ParseUint(q.Get("sdkappid"), 10, 64)
	if err != nil || appID == 0 {
		return errorf(codeNoSDKAppID, "the URL needs a numeric sdkappid")
	}
	if appID != uint64(im.cfg.SDKAppID) {
		return errorf(codeSDKAppIDInvalid, "SDKAppID %d is not served here", appID)
	}
	identifier := q.Get("identifier")
	if identifier == "" {
		return errorf(codeBadAccountInURL, "the URL needs an identifier")
	}
	if identifier != im.cfg.Admin {
		return errorf(codeAdminRequired, "the request needs the app admin; %q is not", identifier)
	}
	if e := im.verifyUserSig(identifier, q.Get("usersig")); e != nil {
		return e
	}
	if _, err := strconv.ParseUint(q.Get("random"), 10, 32); err != nil {
		return errorf(codeBadURL, "the URL needs random, an unsigned 32-bit integer")
	}
	return nil
}

// authorizeViewer identifies the viewer of a client API call by its UserID and UserSig, from
// the Authorization and X-User-Id headers or, for EventSource, the userId and userSig query
// parameters. The account must have been imported.
func (im *IM) authorizeViewer(r *http.Request) (string, *imError) {
	userID, sig := r.Header.Get("X-User-Id"), ""
	if scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "UserSig") {
		sig = strings.TrimSpace(rest)
	}
	if userID == "" && sig == "" {
		q := r.URL.Query()
		userID, sig = q.Get("userId"), q.Get("userSig")
	}
	if userID == "" {
		return "", errorf(codeBadAccountInURL, "the request needs X-User-Id or userId")
	}
	if e := im.verifyUserSig(userID, sig); e != nil {
		return "", e
	}
	im.mu.Lock()
	_, ok := im.accounts[userID]
	im.mu.Unlock()
	if !ok {
		return "", errorf(codeNotImported, "account %q was never imported", userID)
	}
	return userID, nil
}

// clientIP returns the address of the caller without its port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
