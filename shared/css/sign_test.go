package css

import (
	"crypto/md5"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTxSecretMatchesTencentsWorkedExample uses the example of Tencent's hotlink protection page
// (CSS doc 267/31560): KEY e12c46f2612d5106e2034781ab261ca3, StreamName test, txTime 5C271099
// give txSecret f85a2ab363fe4deaffef9754d79da6fe and the push URL
// rtmp://livepush.tcloud.com/live/test?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099.
func TestTxSecretMatchesTencentsWorkedExample(t *testing.T) {
	const key = "e12c46f2612d5106e2034781ab261ca3"
	if got := TxSecret(key, "test", "5C271099"); got != "f85a2ab363fe4deaffef9754d79da6fe" {
		t.Fatalf("txSecret %s", got)
	}
	exp := time.Unix(0x5C271099, 0)
	if got := TxTime(exp); got != "5C271099" {
		t.Fatalf("txTime %s", got)
	}
	d := Domains{PushDomain: "livepush.tcloud.com", PushKey: key, App: "live"}
	want := "rtmp://livepush.tcloud.com/live/test?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099"
	if got := d.PushURLs("test", exp).RTMP; got != want {
		t.Fatalf("push URL\n got %s\nwant %s", got, want)
	}
}

// TestTxTimeIsUpperCaseHexOfTheExpiry follows Tencent's push URL page (doc 1071/39359):
// 5867D600 is 2017-01-01 00:00:00 in China Standard Time.
func TestTxTimeIsUpperCaseHexOfTheExpiry(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	if got := TxTime(time.Date(2017, 1, 1, 0, 0, 0, 0, cst)); got != "5867D600" {
		t.Fatalf("txTime %s", got)
	}
	if got := TxTime(time.Unix(1694669601, 0)); got != "65029B21" {
		t.Fatalf("txTime %s, want the upper-case form of Tencent's 65029b21", got)
	}
}

// TestSignedURLsMatchAnIndependentComputation recomputes every URL's txSecret with crypto/md5
// over the txTime each URL carries.
func TestSignedURLsMatchAnIndependentComputation(t *testing.T) {
	d := Domains{PushDomain: "push.example.com", PushKey: "pk-123", PlayDomain: "play.example.com", PlayKey: "pl-456", App: "live"}
	exp := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	tx := fmt.Sprintf("%X", exp.Unix())
	pushSecret := fmt.Sprintf("%x", md5.Sum([]byte("pk-123"+"room_1"+tx)))
	playSecret := fmt.Sprintf("%x", md5.Sum([]byte("pl-456"+"room_1"+tx)))
	push, play := d.PushURLs("room_1", exp), d.PlayURLs("room_1", exp)
	q := "?txSecret=" + pushSecret + "&txTime=" + tx
	if push.RTMP != "rtmp://push.example.com/live/room_1"+q || push.WebRTC != "webrtc://push.example.com/live/room_1"+q {
		t.Fatalf("push %+v", push)
	}
	wantSRT := "srt://push.example.com:9000?streamid=#!::h=push.example.com,r=live/room_1,txSecret=" + pushSecret + ",txTime=" + tx
	if push.SRT != wantSRT {
		t.Fatalf("srt\n got %s\nwant %s", push.SRT, wantSRT)
	}
	pq := "?txSecret=" + playSecret + "&txTime=" + tx
	if play.FLV != "https://play.example.com/live/room_1.flv"+pq || play.HLS != "https://play.example.com/live/room_1.m3u8"+pq ||
		play.WebRTC != "webrtc://play.example.com/live/room_1"+pq || play.RTMP != "rtmp://play.example.com/live/room_1"+pq {
		t.Fatalf("play %+v", play)
	}
	if !CheckURL("pk-123", "room_1", strings.TrimPrefix(q, "?"), exp) || CheckURL("pk-123", "room_1", strings.TrimPrefix(q, "?"), exp.Add(time.Second)) {
		t.Fatal("CheckURL does not hold to the expiry")
	}
	if CheckURL("other", "room_1", strings.TrimPrefix(q, "?"), exp) {
		t.Fatal("CheckURL accepts another key")
	}
}

func TestPlayURLsAreUnsignedWithoutAPlaybackKey(t *testing.T) {
	d := Domains{PlayDomain: "play.example.com", App: "live"}
	if got := d.PlayURLs("s", time.Now()).FLV; got != "https://play.example.com/live/s.flv" {
		t.Fatal(got)
	}
}

func TestCallbackSignIsCheckedAndTMustNotHavePassed(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tt := now.Unix() + 600
	e := Event{T: Flex(fmt.Sprint(tt)), Sign: fmt.Sprintf("%x", md5.Sum([]byte("cbkey"+fmt.Sprint(tt))))}
	if err := Verify("cbkey", e, now); err != nil {
		t.Fatal(err)
	}
	if err := Verify("other", e, now); err != ErrBadSign {
		t.Fatalf("wrong key: %v", err)
	}
	if err := Verify("cbkey", e, now.Add(601*time.Second)); err == nil {
		t.Fatal("a passed t is accepted")
	}
	e.Sign = ""
	if err := Verify("cbkey", e, now); err != ErrBadSign {
		t.Fatalf("missing sign: %v", err)
	}
}
