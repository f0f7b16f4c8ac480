package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/function/functiontest"
	"github.com/uriba-live/uriba/shared/function/levelupdater"
	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/tim"
)

const merchantKey = functiontest.MerchantKey

// newTestFunction starts the IM stand-in with viewer bob and room-1, and returns the function
// configured against it with a bolt store.
func newTestFunction(t *testing.T) (platform.Function, *standin.IM) {
	t.Helper()
	env := functiontest.New(t)
	client := env.Client(t)
	ctx := context.Background()
	if err := client.AccountImport(ctx, tim.AccountImportRequest{UserID: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateGroup(ctx, tim.CreateGroupRequest{GroupID: "room-1", Name: "room", Type: tim.GroupTypeAVChatRoom}); err != nil {
		t.Fatal(err)
	}
	return env.Build(t, levelupdater.Definition), env.IM
}

func activityJSON(t *testing.T, id string, kind live.ActivityKind, amount int64) string {
	t.Helper()
	b, err := json.Marshal(live.Activity{ID: id, RoomID: "room-1", UserID: "bob", Kind: kind, Amount: amount, At: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSQSBatchesOnLambdaAndActivityEventsOnSCF(t *testing.T) {
	fn, im := newTestFunction(t)
	ctx := context.Background()

	body, _ := json.Marshal(activityJSON(t, "room-1/1", live.KindBuy, 1))
	sqsEvent := `{"Records":[
		{"messageId":"m1","body":` + string(body) + `,"eventSource":"aws:sqs"},
		{"messageId":"m2","body":"{broken","eventSource":"aws:sqs"}]}`
	for range 2 { // a redelivery changes nothing
		reply, err := platform.LambdaHandler(fn)(ctx, json.RawMessage(sqsEvent))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(reply); string(b) != `{"batchItemFailures":[{"itemIdentifier":"m2"}]}` {
			t.Fatalf("SQS reply %s, want the malformed message reported", b)
		}
	}

	scfEvent := `{"activities":[` + activityJSON(t, "room-1/2", live.KindGift, 150) + `]}`
	reply, err := platform.SCFHandler(fn)(ctx, json.RawMessage(scfEvent))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(reply); string(b) != `{"activities":1,"malformed":0}` {
		t.Errorf("SCF reply %s", b)
	}

	req := httptest.NewRequest(http.MethodGet, "/v1/users/bob/level", nil)
	req.Header.Set("Authorization", "Bearer "+merchantKey)
	rec := httptest.NewRecorder()
	fn.HTTP.ServeHTTP(rec, req)
	var got levels.Level
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got != (levels.Level{UserID: "bob", XP: 200, Level: 3, NextLevelXP: 450}) {
		t.Errorf("GET level: %d %s", rec.Code, rec.Body)
	}

	if p, _ := im.Profile("bob"); string(p[tim.TagLevel]) != "3" {
		t.Errorf("bob's profile level is %s, want 3", p[tim.TagLevel])
	}
	var ups []string
	for _, m := range im.Messages("room-1") {
		if c, ok := m.Body[0].Custom(); ok && c.Data == levels.LevelUpEvent {
			ups = append(ups, c.Ext)
		}
	}
	if len(ups) != 2 || !strings.Contains(ups[0], `"level":2`) || !strings.Contains(ups[1], `"level":3`) {
		t.Errorf("LEVEL_UP messages %v, want one for level 2 and one for level 3", ups)
	}

	if _, err := platform.LambdaHandler(fn)(ctx, json.RawMessage(`{"source":"aws.events"}`)); err == nil {
		t.Error("an unknown event was accepted")
	}
}

func TestConfigurationProblemsAreReportedTogether(t *testing.T) {
	env := map[string]string{"LEVEL_XP": "dance=5", "STORE": "nowhere"}
	_, _, err := functiontest.Try(levelupdater.Definition, func(k string) string { return env[k] }, true)
	if err == nil {
		t.Fatal("an empty configuration was accepted")
	}
	for _, want := range []string{"IM_SDKAPPID", "MERCHANT_KEY_SHA256", "STORE", "LEVEL_XP"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %s:\n%v", want, err)
		}
	}
}
