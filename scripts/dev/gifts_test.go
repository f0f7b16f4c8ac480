package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/tim"

	"github.com/uriba-live/uriba/shared/standin"
)

// devSecret is the IM secret key of the dev servers these tests start when they need to sign
// UserSigs themselves.
const devSecret = "c0ffee00c0ffee00c0ffee00c0ffee00"

// roomEvents connects v to the room's event stream and returns its custom messages as they come.
func roomEvents(t *testing.T, v viewer, roomID string) <-chan standin.ClientMessage {
	t.Helper()
	return roomStream(t, v, roomID, tim.ElemCustom)
}

// roomStream connects v to the room's event stream and returns its messages of the given type as
// they come. The channel closes when the stream ends.
func roomStream(t *testing.T, v viewer, roomID, msgType string) <-chan standin.ClientMessage {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", v.base+"/standin/groups/"+roomID+"/events?userId="+v.id+"&userSig="+url.QueryEscape(v.sig), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("events of %s for %s: %d", roomID, v.id, resp.StatusCode)
	}
	out := make(chan standin.ClientMessage, 1024)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		lines := bufio.NewScanner(resp.Body)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		for lines.Scan() {
			data, ok := strings.CutPrefix(lines.Text(), "data: ")
			var m standin.ClientMessage
			if !ok || json.Unmarshal([]byte(data), &m) != nil || m.Type != msgType {
				continue
			}
			select {
			case out <- m:
			default:
			}
		}
	}()
	return out
}

// nextCustom waits for the next custom message with the event name data and returns it with its
// payload.
func nextCustom(t *testing.T, events <-chan standin.ClientMessage, data string) (standin.ClientMessage, standin.CustomPayload) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended before %s", data)
			}
			var p standin.CustomPayload
			if json.Unmarshal(m.Payload, &p) == nil && p.Data == data {
				return m, p
			}
		case <-deadline:
			t.Fatalf("no %s within 10 s", data)
		}
	}
}

// expiredUserSig returns a UserSig of userID signed with the app's key that expired an hour ago.
func expiredUserSig(t *testing.T, appID int, key, userID string) string {
	t.Helper()
	issued, expire := time.Now().Add(-2*time.Hour).Unix(), int64(3600)
	h := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(h, "TLS.identifier:%s\nTLS.sdkappid:%d\nTLS.time:%d\nTLS.expire:%d\n", userID, appID, issued, expire)
	doc, _ := json.Marshal(map[string]any{"TLS.ver": "2.0", "TLS.identifier": userID, "TLS.sdkappid": appID,
		"TLS.expire": expire, "TLS.time": issued, "TLS.sig": h.Sum(nil)})
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write(doc)
	_ = w.Close()
	return strings.NewReplacer("+", "*", "/", "-", "=", "_").Replace(base64.StdEncoding.EncodeToString(z.Bytes()))
}

// request sends method to path with the given headers and returns the status and the problem
// code or body.
func request(t *testing.T, base, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	status, b := send(t, method, base+path, body, header)
	var p struct{ Code string }
	if json.Unmarshal(b, &p) == nil && p.Code != "" {
		return status, p.Code
	}
	return status, string(b)
}

// TestDevServerSendsGiftsToEveryViewer runs the gift API of the dev server: a new gift reaches the
// viewers of live rooms as NEW_GIFT, a paid gift reaches every connected viewer as SEND_GIFT from
// its sender, and every refusal answers its status and code and charges nothing.
func TestDevServerSendsGiftsToEveryViewer(t *testing.T) {
	const key = "mk_gifts"
	base := devServer(t, map[string]string{"URIBA_DEV_MERCHANT_KEY": key, "IM_SECRET_KEY": devSecret})
	merchant := map[string]string{"Authorization": "Bearer " + key}
	for _, r := range []string{"room-gift", "room-quiet"} {
		if status, body := postJSON(t, base+"/v1/rooms", `{"roomId":"`+r+`","title":"Gifts","anchorId":"anchor-5"}`, merchant); status != 201 {
			t.Fatalf("create %s: %d %s", r, status, body)
		}
	}
	if status, code := request(t, base, "PUT", "/v1/rooms/room-gift/status", `{"status":"live"}`, merchant); status != 200 {
		t.Fatalf("go live: %d %s", status, code)
	}
	viewers := []viewer{newViewer(t, base, key, "gv-1"), newViewer(t, base, key, "gv-2"), newViewer(t, base, key, "gv-3")}
	streams := make([]<-chan standin.ClientMessage, len(viewers))
	for i, v := range viewers {
		if status, body := v.post(t, "/standin/groups/room-gift/members", ""); status != 200 {
			t.Fatalf("join: %d %s", status, body)
		}
		streams[i] = roomEvents(t, v, "room-gift")
	}
	quiet := newViewer(t, base, key, "gv-quiet")
	if status, body := quiet.post(t, "/standin/groups/room-quiet/members", ""); status != 200 {
		t.Fatalf("join: %d %s", status, body)
	}
	quietEvents := roomEvents(t, quiet, "room-quiet")

	// A new gift is announced to the live room only.
	status, body := postJSON(t, base+"/v1/gifts", `{"giftId":"rose","name":"Rose","price":30,"imageUrl":"https://cdn.example.test/rose.png"}`, merchant)
	if status != 201 || !strings.Contains(string(body), `"announcedTo":1`) {
		t.Fatalf("add gift: %d %s", status, body)
	}
	for i, s := range streams {
		m, p := nextCustom(t, s, "NEW_GIFT")
		if m.From != "administrator" || !strings.Contains(p.Extension, `"giftId":"rose"`) || !strings.Contains(p.Extension, `"price":30`) {
			t.Fatalf("viewer %d got NEW_GIFT %+v %+v", i, m, p)
		}
	}

	if status, code := request(t, base, "POST", "/v1/users/gv-1/coins", `{"amount":100}`, map[string]string{"Authorization": "Bearer " + key, "Idempotency-Key": "top-up-gv-1"}); status != 200 {
		t.Fatalf("top up: %d %s", status, code)
	}
	as := func(sig, userID, idem string) map[string]string {
		h := map[string]string{"Authorization": "UserSig " + sig, "X-User-Id": userID}
		if idem != "" {
			h["Idempotency-Key"] = idem
		}
		return h
	}
	gv1, gv2 := viewers[0], viewers[1]
	for _, c := range []struct {
		name, path, body string
		header           map[string]string
		status           int
		code             string
	}{
		{"a viewer acting for another user", "/v1/rooms/room-gift/gifts", `{"giftId":"rose"}`, as(gv2.sig, "gv-1", "r1"), 401, "unauthorized"},
		{"an expired UserSig", "/v1/rooms/room-gift/gifts", `{"giftId":"rose"}`, as(expiredUserSig(t, 1400000001, devSecret, "gv-1"), "gv-1", "r2"), 401, "unauthorized"},
		{"a forged UserSig", "/v1/rooms/room-gift/gifts", `{"giftId":"rose"}`, as(expiredUserSig(t, 1400000001, "not-the-app-key-0123456789abcdef", "gv-1")[:40]+"x", "gv-1", "r3"), 401, "unauthorized"},
		{"a UserSig signed with another key", "/v1/rooms/room-gift/gifts", `{"giftId":"rose"}`, as(expiredUserSig(t, 1400000001, "not-the-app-key-0123456789abcdef", "gv-1"), "gv-1", "r4"), 401, "unauthorized"},
		{"the admin account", "/v1/rooms/room-gift/gifts", `{"giftId":"rose"}`, as(gv1.sig, "administrator", "r5"), 400, "invalid_request"},
		{"a room not live", "/v1/rooms/room-quiet/gifts", `{"giftId":"rose"}`, as(gv1.sig, "gv-1", "r6"), 409, "conflict"},
		{"an unknown room", "/v1/rooms/room-none/gifts", `{"giftId":"rose"}`, as(gv1.sig, "gv-1", "r7"), 404, "not_found"},
		{"an unknown gift", "/v1/rooms/room-gift/gifts", `{"giftId":"tulip"}`, as(gv1.sig, "gv-1", "r8"), 404, "not_found"},
		{"a count over the maximum", "/v1/rooms/room-gift/gifts", `{"giftId":"rose","count":100000}`, as(gv1.sig, "gv-1", "r9"), 400, "invalid_request"},
		{"no Idempotency-Key", "/v1/rooms/room-gift/gifts", `{"giftId":"rose"}`, as(gv1.sig, "gv-1", ""), 400, "invalid_request"},
		{"more than the balance", "/v1/rooms/room-gift/gifts", `{"giftId":"rose","count":4}`, as(gv1.sig, "gv-1", "r10"), 402, "insufficient_coins"},
	} {
		if status, code := request(t, base, "POST", c.path, c.body, c.header); status != c.status || code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, code, c.status, c.code)
		}
	}
	if status, code := request(t, base, "GET", "/v1/users/gv-1/coins", "", as(gv2.sig, "gv-2", "")); status != 403 || code != "forbidden" {
		t.Errorf("a viewer reading another's balance: %d %s, want 403 forbidden", status, code)
	}
	if status, body := request(t, base, "GET", "/v1/users/gv-1/coins", "", as(gv1.sig, "gv-1", "")); status != 200 || !strings.Contains(body, `"balance":100`) {
		t.Fatalf("after the refusals: %d %s, want nothing charged", status, body)
	}

	// A paid gift reaches every connected viewer, from its sender.
	status, body2 := request(t, base, "POST", "/v1/rooms/room-gift/gifts", `{"giftId":"rose","count":2}`, as(gv1.sig, "gv-1", "gift-1"))
	if status != 200 || !strings.Contains(body2, `"balance":40`) {
		t.Fatalf("send gift: %d %s", status, body2)
	}
	for i, s := range streams {
		m, p := nextCustom(t, s, "SEND_GIFT")
		if m.From != "gv-1" || m.Priority != "High" || !strings.Contains(p.Extension, `"count":2`) || !strings.Contains(p.Extension, `"giftId":"rose"`) {
			t.Fatalf("viewer %d got SEND_GIFT %+v %+v", i, m, p)
		}
	}
	select {
	case m := <-quietEvents:
		t.Fatalf("the room not live received %s", m.Payload)
	default:
	}
}
