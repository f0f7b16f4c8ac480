// Package css is Tencent Cloud Streaming Services (live streaming): signed push and play URLs,
// the check of stream callbacks, and the Cloud API 3.0 actions that drop and forbid a stream.
//
// URL signing (hotlink protection): txTime is the upper-case hex of the URL's Unix expiry, and
// txSecret the lower-case hex MD5 of key + StreamName + txTime, hashing exactly the txTime placed
// in the URL. Stream callbacks carry t, a decimal Unix expiry, and sign = MD5(key + t).
package css

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TxTime returns the txTime of a URL that expires at t: the upper-case hex of its Unix time.
func TxTime(t time.Time) string {
	return strings.ToUpper(strconv.FormatInt(t.Unix(), 16))
}

// TxSecret returns the txSecret of stream for txTime under key: hex(MD5(key + stream + txTime)).
func TxSecret(key, stream, txTime string) string {
	sum := md5.Sum([]byte(key + stream + txTime))
	return hex.EncodeToString(sum[:])
}

// Domains are the streaming domains, application and keys of an app.
type Domains struct {
	// PushDomain and PushKey sign push URLs.
	PushDomain string
	PushKey    string
	// PlayDomain serves playback; PlayKey, when set, signs play URLs (playback authentication).
	PlayDomain string
	PlayKey    string
	// App is the AppName of every stream (Tencent's default is "live").
	App string
}

// Push are an anchor's push URLs.
type Push struct {
	RTMP   string `json:"rtmp"`
	WebRTC string `json:"webrtc"`
	SRT    string `json:"srt"`
}

// Play are a stream's play URLs.
type Play struct {
	WebRTC string `json:"webrtc"`
	FLV    string `json:"flv"`
	HLS    string `json:"hls"`
	RTMP   string `json:"rtmp"`
}

// signedQuery returns "txSecret=…&txTime=…" for stream, expiring at exp, or "" without a key.
func signedQuery(key, stream string, exp time.Time) string {
	if key == "" {
		return ""
	}
	tx := TxTime(exp)
	return "txSecret=" + TxSecret(key, stream, tx) + "&txTime=" + tx
}

// PushURLs returns the push URLs of stream, valid until exp.
func (d Domains) PushURLs(stream string, exp time.Time) Push {
	q := signedQuery(d.PushKey, stream, exp)
	path := d.PushDomain + "/" + url.PathEscape(d.App) + "/" + url.PathEscape(stream)
	p := Push{RTMP: "rtmp://" + path, WebRTC: "webrtc://" + path}
	srt := "srt://" + d.PushDomain + ":9000?streamid=#!::h=" + d.PushDomain + ",r=" + d.App + "/" + stream
	if q != "" {
		p.RTMP += "?" + q
		p.WebRTC += "?" + q
		tx := TxTime(exp)
		srt += ",txSecret=" + TxSecret(d.PushKey, stream, tx) + ",txTime=" + tx
	}
	p.SRT = srt
	return p
}

// PlayURLs returns the play URLs of stream, signed with the playback key until exp when one is
// configured.
func (d Domains) PlayURLs(stream string, exp time.Time) Play {
	q := signedQuery(d.PlayKey, stream, exp)
	if q != "" {
		q = "?" + q
	}
	path := d.PlayDomain + "/" + url.PathEscape(d.App) + "/" + url.PathEscape(stream)
	return Play{
		WebRTC: "webrtc://" + path + q,
		FLV:    "https://" + path + ".flv" + q,
		HLS:    "https://" + path + ".m3u8" + q,
		RTMP:   "rtmp://" + path + q,
	}
}

// CheckURL reports whether query, the query of a push or play URL of stream, carries a txSecret
// valid under key at now. The stand-in uses it to accept or refuse a push.
func CheckURL(key, stream, query string, now time.Time) bool {
	v, err := url.ParseQuery(query)
	if err != nil {
		return false
	}
	tx := v.Get("txTime")
	exp, err := strconv.ParseInt(tx, 16, 64)
	if err != nil || now.Unix() > exp {
		return false
	}
	return equal(TxSecret(key, stream, tx), strings.ToLower(v.Get("txSecret")))
}
