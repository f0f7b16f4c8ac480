package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/css"
	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/function/productpublisher"
	"github.com/uriba-live/uriba/shared/function/pushurl"
	"github.com/uriba-live/uriba/shared/platform"
)

// TestPushURLsAndStreamCallbacksThroughBothCloudAdapters asks for a room's push URL through a
// Lambda function URL event and delivers the push-start callback through a Tencent API gateway
// event, as SCF receives it: the URL is signed with the push key, and the callback makes the room
// live in IM.
func TestPushURLsAndStreamCallbacksThroughBothCloudAdapters(t *testing.T) {
	env := functiontest.New(t)

	// The room is created by productpublisher on the same store, which it then releases.
	rooms, release, err := functiontest.Try(productpublisher.Definition, env.Getenv, true)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/v1/rooms", strings.NewReader(`{"roomId":"cloud-live","title":"Cloud","anchorId":"anchor-7"}`))
	req.Header.Set("Authorization", "Bearer "+merchantKey)
	rec := httptest.NewRecorder()
	rooms.HTTP.ServeHTTP(rec, req)
	release()
	if rec.Code != http.StatusCreated {
		t.Fatalf("create room: %d %s", rec.Code, rec.Body)
	}

	fn := env.Build(t, pushurl.Definition)
	lambdaEvent := strings.ReplaceAll(string(fixture(t, "usersig-lambda-url.json", merchantKey)), "/v1/users/mei/usersig", "/v1/rooms/cloud-live/push-url")
	r := functiontest.Invoke(t, platform.LambdaHandler(fn), json.RawMessage(lambdaEvent))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("push-url through Lambda: %d %s", r.StatusCode, r.Body)
	}
	var got struct {
		StreamName string `json:"streamName"`
		Push       struct{ RTMP string }
	}
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil || got.StreamName == "" {
		t.Fatalf("reply %s: %v", r.Body, err)
	}
	u, err := url.Parse(got.Push.RTMP)
	if err != nil {
		t.Fatal(err)
	}
	txTime := u.Query().Get("txTime")
	sum := md5.Sum([]byte(functiontest.PushKey + got.StreamName + txTime))
	if u.Query().Get("txSecret") != hex.EncodeToString(sum[:]) || txTime != strings.ToUpper(txTime) {
		t.Fatalf("push URL %s is not signed with the push key", got.Push.RTMP)
	}

	now := time.Now().Unix()
	callback, _ := json.Marshal(map[string]any{
		"event_type": 1, "t": now + 60, "sign": css.CallbackSign(functiontest.StreamKey, now+60),
		"stream_id": got.StreamName, "event_time": now, "sequence": "seq-1", "app": functiontest.PushDomain,
	})
	body, _ := json.Marshal(string(callback))
	scfEvent := string(fixture(t, "usersig-scf-apigw.json", ""))
	for old, repl := range map[string]string{
		`"/v1/users/{userId}/usersig"`: `"/v1/callbacks/stream"`,
		`"/v1/users/mei/usersig"`:      `"/v1/callbacks/stream"`,
		`"body": "{}"`:                 `"body": ` + string(body),
		`"userId": "mei"`:              `"none": ""`,
	} {
		scfEvent = strings.ReplaceAll(scfEvent, old, repl)
	}
	r = functiontest.Invoke(t, platform.SCFHandler(fn), json.RawMessage(scfEvent))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("stream callback through SCF: %d %s", r.StatusCode, r.Body)
	}
	if g, ok := env.IM.Group("cloud-live"); !ok || g.Fields["room_status"] != "live" {
		t.Fatalf("after the push started the group is %+v", g)
	}
}
