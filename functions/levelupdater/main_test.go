package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/platform"
	"github.com/uriba-live/uriba/shared/standin"
	"github.com/uriba-live/uriba/shared/tim"
)

const (
	appID       = 1400000043
	secretKey   = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
	admin       = "administrator"
	merchantKey = "mk_levelupdater_test"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newTestFunction starts the IM stand-in with viewer bob and room-1, and returns the function
// configured against it with a bolt store.
func newTestFunction(t *testing.T) (platform.Function, *standin.IM) {
	t.Helper()
	im, err := standin.New(standin.Config{SDKAppID: appID, SecretKey: secretKey, Admin: admin, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(im.Handler())
	t.Cleanup(func() { srv.Close(); im.Close() })
	client, err := tim.NewClient(tim.ClientConfig{SDKAppID: appID, SecretKey: secretKey, Admin: admin, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := client.AccountImport(ctx, tim.AccountImportRequest{UserID: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateGroup(ctx, tim.CreateGroupRequest{GroupID: "room-1", Name: "room", Type: tim.GroupTypeAVChatRoom}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(merchantKey))
	env := map[string]string{
		"IM_SDKAPPID": fmt.Sprint(appID), "IM_SECRET_KEY": secretKey, "IM_ADMIN": admin, "IM_BASE_URL": srv.URL,
		"MERCHANT_KEY_SHA256": hex.EncodeToString(sum[:]),
		"STORE":               "bolt:" + filepath.Join(t.TempDir(), "uriba.db"),
	}
	fn, closeStore, err := newFunction(ctx, func(k string) string { return env[k] }, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore() })
	return fn, im
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

	body, _ := json.Marshal(activityJSON(t, "room-1/1", live.KindPurchase, 1))
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
	_, _, err := newFunction(context.Background(), func(k string) string { return env[k] }, quiet)
	if err == nil {
		t.Fatal("an empty configuration was accepted")
	}
	for _, want := range []string{"IM_SDKAPPID", "MERCHANT_KEY_SHA256", "STORE", "LEVEL_XP"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %s:\n%v", want, err)
		}
	}
}
