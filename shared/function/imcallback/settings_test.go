package imcallback

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/config"
	callbacks "github.com/uriba-live/uriba/shared/imcallback"
)

// load reads the settings of a function on a laptop, with a local IM, and returns the callback's.
func load(env map[string]string) (callbacks.Config, error) {
	l := config.NewLocalLoader(func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return map[string]string{"IM_SECRET_KEY": "k", "IM_REGION": "sgp", "STORE": "bolt:x.db"}[k]
	})
	s := LoadSettings(l)
	return s.Callback, l.Err()
}

func TestSettingsDefaults(t *testing.T) {
	c, err := load(map[string]string{"IM_SDKAPPID": "1400000042"})
	if err != nil {
		t.Fatal(err)
	}
	if c.SDKAppID != 1400000042 || c.Verifier.SDKAppID != 1400000042 || c.Verifier.Token != "" || c.Verifier.Window != 60*time.Second ||
		c.Admin != "administrator" || c.ModerationMode != callbacks.ModerationReject || c.ModerateCustom || c.LikeEvent != "LIKE" ||
		c.AbsorbLikes || c.IOBudget != 100*time.Millisecond || c.MaxLikesPerMessage != 100 ||
		!slices.Equal(c.ServerOnlyEvents, []string{"SEND_GIFT", "LEVEL_UP", "NEW_GIFT", "LIVE_ENDED"}) {
		t.Fatalf("defaults %v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsValues(t *testing.T) {
	c, err := load(map[string]string{
		"IM_SDKAPPID": "1400000042", "IM_ADMIN": "ops", "IM_CALLBACK_TOKEN": "s3cret", "IM_CALLBACK_WINDOW": "30s",
		"MODERATION_MODE": "mask", "MODERATION_CUSTOM": "yes", "LIKE_EVENT": "HEART", "LIKE_MODE": "absorb",
		"LIKE_MAX_PER_MESSAGE": "20", "SERVER_ONLY_EVENTS": " SEND_GIFT, RAIN ,,SEND_GIFT", "CALLBACK_IO_BUDGET": "250ms",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin != "ops" || c.Verifier.Token != "s3cret" || c.Verifier.Window != 30*time.Second || c.ModerationMode != callbacks.ModerationMask ||
		!c.ModerateCustom || c.LikeEvent != "HEART" || !c.AbsorbLikes || c.MaxLikesPerMessage != 20 ||
		!slices.Equal(c.ServerOnlyEvents, []string{"SEND_GIFT", "RAIN"}) || c.IOBudget != 250*time.Millisecond {
		t.Fatalf("config %v", c)
	}
	c, err = load(map[string]string{"IM_SDKAPPID": "1", "SERVER_ONLY_EVENTS": "-", "MODERATION_CUSTOM": "false"})
	if err != nil || c.ServerOnlyEvents == nil || len(c.ServerOnlyEvents) != 0 || c.ModerateCustom {
		t.Fatalf("config %v, %v: \"-\" means no server-only events", c, err)
	}
}

func TestSettingsProblems(t *testing.T) {
	_, err := load(map[string]string{
		"IM_SDKAPPID": "x", "IM_ADMIN": strings.Repeat("a", 33), "MODERATION_MODE": "loud", "MODERATION_CUSTOM": "sometimes",
		"LIKE_MODE": "count", "CALLBACK_IO_BUDGET": "2s", "SERVER_ONLY_EVENTS": "LIKE", "LIKE_MAX_PER_MESSAGE": "-1",
		"IM_CALLBACK_WINDOW": "soon",
	})
	if err == nil {
		t.Fatal("no problems found")
	}
	for _, name := range []string{"IM_SDKAPPID", "IM_ADMIN", "MODERATION_MODE", "MODERATION_CUSTOM", "LIKE_MODE",
		"CALLBACK_IO_BUDGET", "LIKE_EVENT", "LIKE_MAX_PER_MESSAGE", "IM_CALLBACK_WINDOW"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the problems do not name %s:\n%v", name, err)
		}
	}
	if _, err := load(map[string]string{}); err == nil || !strings.Contains(err.Error(), "IM_SDKAPPID is not set") {
		t.Errorf("missing IM_SDKAPPID: %v", err)
	}
}

func TestTheTokenIsNeverPrinted(t *testing.T) {
	c, _ := load(map[string]string{"IM_SDKAPPID": "1", "IM_CALLBACK_TOKEN": "s3cret-token"})
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("configured", "config", c)
	for _, out := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logs.String()} {
		if strings.Contains(out, "s3cret") {
			t.Fatalf("the token leaked: %s", out)
		}
	}
	if !strings.Contains(logs.String(), `"signed":true`) {
		t.Fatalf("log %s", logs.String())
	}
}

func TestDeployedFunctionsRefuseLaptopDefaults(t *testing.T) {
	base := map[string]string{"IM_SDKAPPID": "1400000042", "IM_SECRET_KEY": "k", "IM_REGION": "sgp", "STORE": "dynamodb:uriba",
		"AWS_REGION": "ap-northeast-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}
	deployed := func(extra map[string]string) error {
		l := config.NewLoader(func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		})
		LoadSettings(l)
		return l.Err()
	}
	err := deployed(nil)
	if err == nil {
		t.Fatal("a deployed callback started without a token, a word list and a queue")
	}
	for _, name := range []string{"IM_CALLBACK_TOKEN", "MODERATION_WORDS_FILE", "ACTIVITY_QUEUE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the problems do not name %s:\n%v", name, err)
		}
	}
	if err := deployed(map[string]string{"IM_CALLBACK_TOKEN": "short", "MODERATION_WORDS_FILE": "builtin", "ACTIVITY_QUEUE": "sqs:https://sqs.local/q"}); err == nil ||
		!strings.Contains(err.Error(), "shorter than 16") {
		t.Errorf("a short token: %v", err)
	}
	if err := deployed(map[string]string{"IM_CALLBACK_TOKEN": "0123456789abcdef", "MODERATION_WORDS_FILE": "builtin", "ACTIVITY_QUEUE": "sqs:https://sqs.local/q"}); err != nil {
		t.Errorf("explicit settings were refused: %v", err)
	}
	if _, err := load(map[string]string{"IM_SDKAPPID": "1400000042"}); err != nil {
		t.Errorf("a laptop needs none of them: %v", err)
	}
}
