package css

import (
	"bytes"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Event types of stream callbacks.
const (
	EventPushStopped = 0   // the push was interrupted or ended
	EventPushStarted = 1   // a push started
	EventRecording   = 100 // a recording file is ready
	EventScreenshot  = 200 // a screenshot was taken
)

// Event is a stream callback, with the fields uriba uses. Tencent sends numbers for some fields
// as strings in some versions; Flex accepts both.
type Event struct {
	EventType  int    `json:"event_type"`
	T          Flex   `json:"t"`
	Sign       string `json:"sign"`
	AppID      Flex   `json:"appid"`
	App        string `json:"app"`
	AppName    string `json:"appname"`
	StreamID   string `json:"stream_id"`
	ChannelID  string `json:"channel_id"`
	EventTime  Flex   `json:"event_time"`
	Sequence   Flex   `json:"sequence"`
	UserIP     string `json:"user_ip"`
	ErrCode    Flex   `json:"errcode"`
	ErrMsg     string `json:"errmsg"`
	PushDur    Flex   `json:"push_duration"`
	FileID     string `json:"file_id"`
	FileFormat string `json:"file_format"`
	VideoURL   string `json:"video_url"`
	StartTime  Flex   `json:"start_time"`
	EndTime    Flex   `json:"end_time"`
	Duration   Flex   `json:"duration"`
	FileSize   Flex   `json:"file_size"`
	PicURL     string `json:"pic_url"`
	PicFullURL string `json:"pic_full_url"`
}

// Stream returns the stream's name: stream_id, or channel_id when stream_id is empty.
func (e Event) Stream() string {
	if e.StreamID != "" {
		return e.StreamID
	}
	return e.ChannelID
}

// Flex is a JSON number or a string holding one, kept as its decimal text.
type Flex string

// UnmarshalJSON accepts a number, a string or null.
func (f *Flex) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = Flex(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = Flex(n)
	}
	return nil
}

// String returns the decimal text.
func (f Flex) String() string { return string(f) }

// Int returns the value as an integer, 0 when it is empty or not an integer.
func (f Flex) Int() int64 {
	n, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil {
		if x, err := strconv.ParseFloat(string(f), 64); err == nil {
			return int64(x)
		}
	}
	return n
}

// Errors of Verify.
var (
	ErrBadSign = errors.New("css: the callback's sign does not match")
	ErrStale   = errors.New("css: the callback's t has passed")
)

// CallbackSign returns the sign of a callback whose t is t: hex(MD5(key + t)).
func CallbackSign(key string, t int64) string {
	sum := md5.Sum([]byte(key + strconv.FormatInt(t, 10)))
	return hex.EncodeToString(sum[:])
}

// Verify checks a callback's sign against key in constant time, and that its t, the expiry of
// the signature, has not passed at now.
func Verify(key string, e Event, now time.Time) error {
	if e.T == "" || e.Sign == "" {
		return ErrBadSign
	}
	t, err := strconv.ParseInt(string(e.T), 10, 64)
	if err != nil {
		return ErrBadSign
	}
	if !equal(CallbackSign(key, t), e.Sign) {
		return ErrBadSign
	}
	if now.Unix() > t {
		return fmt.Errorf("%w (t %d, now %d)", ErrStale, t, now.Unix())
	}
	return nil
}

// equal compares two strings in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
