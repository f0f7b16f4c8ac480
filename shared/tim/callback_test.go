package tim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testToken = "cb-token-7f3a9c"

func TestSignCallback(t *testing.T) {
	at := time.Unix(1700000000, 0)
	sign, rt := SignCallback(testToken, at)
	if rt != "1700000000" {
		t.Errorf("RequestTime = %q", rt)
	}
	sum := sha256.Sum256([]byte(testToken + "1700000000"))
	if want := hex.EncodeToString(sum[:]); sign != want {
		t.Errorf("Sign = %s, want %s", sign, want)
	}
}

func TestCallbackVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	query := func(app int, token string, at time.Time, edit func(url.Values)) url.Values {
		q := CallbackQuery{
			SDKAppID:        app,
			CallbackCommand: CmdBeforeSendMsg,
			ContentType:     "json",
			ClientIP:        "203.0.113.9",
			OptPlatform:     "Web",
		}
		if token != "" {
			q.Sign, q.RequestTime = SignCallback(token, at)
		}
		v := q.Values()
		if edit != nil {
			edit(v)
		}
		return v
	}
	signed := &CallbackVerifier{SDKAppID: testAppID, Token: testToken, Now: func() time.Time { return now }}
	open := &CallbackVerifier{SDKAppID: testAppID, Now: func() time.Time { return now }}
	tests := []struct {
		name string
		v    *CallbackVerifier
		q    url.Values
		want error
	}{
		{"good", signed, query(testAppID, testToken, now, nil), nil},
		{"good, 59s old", signed, query(testAppID, testToken, now.Add(-59*time.Second), nil), nil},
		{"good, 59s ahead", signed, query(testAppID, testToken, now.Add(59*time.Second), nil), nil},
		{"uppercase sign", signed, query(testAppID, testToken, now, func(v url.Values) {
			v.Set("Sign", strings.ToUpper(v.Get("Sign")))
		}), nil},
		{"wrong app", signed, query(testAppID+1, testToken, now, nil), ErrWrongApp},
		{"no app", signed, query(0, testToken, now, nil), ErrWrongApp},
		{"app not a number", signed, query(testAppID, testToken, now, func(v url.Values) { v.Set("SdkAppid", "14000x") }), ErrWrongApp},
		{"unsigned when a token is set", signed, query(testAppID, "", now, nil), ErrUnsigned},
		{"sign without time", signed, query(testAppID, testToken, now, func(v url.Values) { v.Del("RequestTime") }), ErrUnsigned},
		{"time without sign", signed, query(testAppID, testToken, now, func(v url.Values) { v.Del("Sign") }), ErrUnsigned},
		{"unsigned accepted without a token", open, query(testAppID, "", now, nil), nil},
		{"wrong app without a token", open, query(testAppID+1, "", now, nil), ErrWrongApp},
		{"stale, 61s old", signed, query(testAppID, testToken, now.Add(-61*time.Second), nil), ErrStale},
		{"stale, 61s ahead", signed, query(testAppID, testToken, now.Add(61*time.Second), nil), ErrStale},
		{"stale, a day old", signed, query(testAppID, testToken, now.Add(-24*time.Hour), nil), ErrStale},
		{"time not a number", signed, query(testAppID, testToken, now, func(v url.Values) { v.Set("RequestTime", "soon") }), ErrStale},
		{"signed with another token", signed, query(testAppID, "other-token", now, nil), ErrBadSign},
		{"sign for another time", signed, query(testAppID, testToken, now, func(v url.Values) {
			v.Set("RequestTime", strconv.FormatInt(now.Unix()-1, 10))
		}), ErrBadSign},
		{"sign truncated", signed, query(testAppID, testToken, now, func(v url.Values) {
			v.Set("Sign", v.Get("Sign")[:63])
		}), ErrBadSign},
		{"sign not hex", signed, query(testAppID, testToken, now, func(v url.Values) {
			v.Set("Sign", strings.Repeat("zz", 32))
		}), ErrBadSign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Verify(tt.q)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			for _, other := range []error{ErrWrongApp, ErrUnsigned, ErrStale, ErrBadSign} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("Verify = %v also matches %v", err, other)
				}
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestCallbackVerifyWindow(t *testing.T) {
	now := time.Unix(1700000000, 0)
	v := CallbackVerifier{SDKAppID: testAppID, Token: testToken, Window: 5 * time.Second, Now: func() time.Time { return now }}
	q := func(at time.Time) url.Values {
		sign, rt := SignCallback(testToken, at)
		return CallbackQuery{SDKAppID: testAppID, Sign: sign, RequestTime: rt}.Values()
	}
	if err := v.Verify(q(now.Add(-5 * time.Second))); err != nil {
		t.Errorf("5s old with a 5s window: %v", err)
	}
	if err := v.Verify(q(now.Add(-6 * time.Second))); !errors.Is(err, ErrStale) {
		t.Errorf("6s old with a 5s window: %v", err)
	}
	// Without Now, the verifier uses the real clock.
	v.Now = nil
	if err := v.Verify(q(time.Now())); err != nil {
		t.Errorf("real clock: %v", err)
	}
}

func TestCallbackVerifierWithoutAppRefusesEverything(t *testing.T) {
	var v CallbackVerifier
	if err := v.Verify(CallbackQuery{SDKAppID: testAppID}.Values()); !errors.Is(err, ErrWrongApp) {
		t.Fatalf("Verify = %v", err)
	}
}

func TestParseCallbackQuery(t *testing.T) {
	raw := "SdkAppid=1400000001&CallbackCommand=Group.CallbackAfterSendMsg&contenttype=json" +
		"&ClientIP=198.51.100.4&OptPlatform=RESTAPI&Sign=abc&RequestTime=1700000000"
	v, _ := url.ParseQuery(raw)
	q, err := ParseCallbackQuery(v)
	if err != nil {
		t.Fatal(err)
	}
	want := CallbackQuery{SDKAppID: 1400000001, CallbackCommand: CmdAfterSendMsg, ContentType: "json",
		ClientIP: "198.51.100.4", OptPlatform: "RESTAPI", Sign: "abc", RequestTime: "1700000000"}
	if q != want {
		t.Errorf("ParseCallbackQuery = %+v, want %+v", q, want)
	}
	if back := q.Values().Encode(); back != v.Encode() {
		t.Errorf("Values().Encode() = %s, want %s", back, v.Encode())
	}
	if _, err := ParseCallbackQuery(url.Values{}); !errors.Is(err, ErrWrongApp) {
		t.Errorf("empty query: %v", err)
	}
}
