package tim

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// CallbackQuery is the URL query IM adds to every callback.
type CallbackQuery struct {
	SDKAppID        int    // SdkAppid
	CallbackCommand string // CallbackCommand, such as CmdBeforeSendMsg
	ContentType     string // contenttype, always "json"
	ClientIP        string // ClientIP, the address of the client that caused the event
	OptPlatform     string // OptPlatform, such as "Web", "iOS" or "RESTAPI"
	Sign            string // Sign, hex SHA-256 of token and RequestTime, with authentication on
	RequestTime     string // RequestTime, Unix seconds, with authentication on
}

// ParseCallbackQuery reads a callback's query. It fails only when SdkAppid is missing or not a
// number; Verify decides whether the callback is acceptable.
func ParseCallbackQuery(q url.Values) (CallbackQuery, error) {
	id, err := strconv.Atoi(q.Get("SdkAppid"))
	if err != nil || id <= 0 {
		return CallbackQuery{}, fmt.Errorf("%w: SdkAppid missing or not a number", ErrWrongApp)
	}
	return CallbackQuery{
		SDKAppID:        id,
		CallbackCommand: q.Get("CallbackCommand"),
		ContentType:     q.Get("contenttype"),
		ClientIP:        q.Get("ClientIP"),
		OptPlatform:     q.Get("OptPlatform"),
		Sign:            q.Get("Sign"),
		RequestTime:     q.Get("RequestTime"),
	}, nil
}

// Values returns the query as IM sends it, leaving out empty parameters. The stand-in uses it to
// build callback URLs.
func (q CallbackQuery) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.SDKAppID != 0 {
		v.Set("SdkAppid", strconv.Itoa(q.SDKAppID))
	}
	set("CallbackCommand", q.CallbackCommand)
	set("contenttype", q.ContentType)
	set("ClientIP", q.ClientIP)
	set("OptPlatform", q.OptPlatform)
	set("Sign", q.Sign)
	set("RequestTime", q.RequestTime)
	return v
}

// Errors of CallbackVerifier.Verify. They never contain the token.
var (
	// ErrWrongApp means the callback names another app, or none.
	ErrWrongApp = errors.New("tim: callback for another SDKAppID")
	// ErrUnsigned means a token is configured but the callback carries no Sign or RequestTime.
	ErrUnsigned = errors.New("tim: callback not signed")
	// ErrStale means RequestTime is malformed or too far from now, in either direction.
	ErrStale = errors.New("tim: callback request time outside the window")
	// ErrBadSign means Sign does not match the token and RequestTime.
	ErrBadSign = errors.New("tim: callback signature mismatch")
)

// DefaultCallbackWindow is how far RequestTime may be from now, either way.
const DefaultCallbackWindow = 60 * time.Second

// CallbackVerifier checks that a callback comes from IM for the app. With a Token (callback
// authentication on in the console) it also requires a fresh, valid Sign; without one, it accepts
// unsigned callbacks.
type CallbackVerifier struct {
	SDKAppID int
	Token    string
	// Window bounds |now - RequestTime|; default DefaultCallbackWindow.
	Window time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

// Verify checks a callback's query. It returns nil or an error wrapping ErrWrongApp, ErrUnsigned,
// ErrStale or ErrBadSign. The signature is compared in constant time, in either hex case.
func (v CallbackVerifier) Verify(q url.Values) error {
	if v.SDKAppID <= 0 {
		return fmt.Errorf("%w: the verifier has no SDKAppID", ErrWrongApp)
	}
	if id, err := strconv.Atoi(q.Get("SdkAppid")); err != nil || id != v.SDKAppID {
		return fmt.Errorf("%w: got SdkAppid %q", ErrWrongApp, truncate(q.Get("SdkAppid"), 16))
	}
	if v.Token == "" {
		return nil
	}
	sign, reqTime := q.Get("Sign"), q.Get("RequestTime")
	if sign == "" || reqTime == "" {
		return ErrUnsigned
	}
	sec, err := strconv.ParseInt(reqTime, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: RequestTime is not Unix seconds", ErrStale)
	}
	window := v.Window
	if window <= 0 {
		window = DefaultCallbackWindow
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := now().Sub(time.Unix(sec, 0))
	if skew > window || skew < -window {
		return fmt.Errorf("%w: RequestTime is %s away from now", ErrStale, skew.Round(time.Second))
	}
	want := callbackSign(v.Token, reqTime)
	var got [sha256.Size]byte
	if len(sign) != hex.EncodedLen(sha256.Size) {
		return ErrBadSign
	}
	if _, err := hex.Decode(got[:], []byte(sign)); err != nil {
		return ErrBadSign
	}
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrBadSign
	}
	return nil
}

// SignCallback returns the Sign and RequestTime IM would send at t with callback authentication
// on: Sign is lowercase hex SHA-256 of token followed by RequestTime, in Unix seconds.
func SignCallback(token string, t time.Time) (sign, requestTime string) {
	requestTime = strconv.FormatInt(t.Unix(), 10)
	sum := callbackSign(token, requestTime)
	return hex.EncodeToString(sum[:]), requestTime
}

func callbackSign(token, requestTime string) [sha256.Size]byte {
	return sha256.Sum256([]byte(token + requestTime))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
