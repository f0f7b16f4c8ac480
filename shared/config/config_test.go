package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestIMReportsEveryProblemAtOnce(t *testing.T) {
	l := NewLoader(env(map[string]string{"IM_SDKAPPID": "abc", "IM_CALLBACK_WINDOW": "-3s"}))
	l.IM()
	l.MerchantKeys()
	err := l.Err()
	if err == nil {
		t.Fatal("expected an error")
	}
	for _, want := range []string{"IM_SDKAPPID", "IM_SECRET_KEY", "IM_REGION", "IM_CALLBACK_WINDOW", "MERCHANT_KEY_SHA256"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func TestIMValid(t *testing.T) {
	l := NewLoader(env(map[string]string{
		"IM_SDKAPPID": "1400000001", "IM_SECRET_KEY": "s3cr3t", "IM_REGION": "jpn", "IM_CALLBACK_TOKEN": "tok",
	}))
	c := l.IM()
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	if c.SDKAppID != 1400000001 || c.Admin != "administrator" || c.CallbackWindow != time.Minute || c.Region != "jpn" {
		t.Fatalf("unexpected config %+v", c)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	l := NewLoader(env(map[string]string{
		"IM_SDKAPPID": "1400000001", "IM_SECRET_KEY": "topsecretvalue", "IM_BASE_URL": "not a url",
		"IM_CALLBACK_TOKEN": "tokenvalue", "MERCHANT_KEY_SHA256": "zz-topsecretvalue",
	}))
	c := l.IM()
	l.MerchantKeys()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "im", c, "key", c.SecretKey)
	out := fmt.Sprintf("%v %+v %#v %s %v", c, c, c, logs.String(), l.Err())
	for _, secret := range []string{"topsecretvalue", "tokenvalue"} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q printed:\n%s", secret, out)
		}
	}
	if c.SecretKey.Reveal() != "topsecretvalue" {
		t.Fatal("Reveal lost the value")
	}
}

func TestMerchantKeys(t *testing.T) {
	good := strings.Repeat("ab", 32)
	l := NewLoader(env(map[string]string{"MERCHANT_KEY_SHA256": good + ", " + strings.Repeat("01", 32)}))
	keys := l.MerchantKeys()
	if l.Err() != nil || len(keys) != 2 || keys[0][0] != 0xab || keys[1][31] != 0x01 {
		t.Fatalf("keys %x err %v", keys, l.Err())
	}
	l = NewLoader(env(map[string]string{"MERCHANT_KEY_SHA256": good + ",abc"}))
	l.MerchantKeys()
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Fatalf("want a problem with entry 2, got %v", err)
	}
}

func TestStore(t *testing.T) {
	for raw, want := range map[string]Store{
		"bolt:var/uriba.db":      {"bolt", "var/uriba.db"},
		"dynamodb:uriba":         {"dynamodb", "uriba"},
		"redis://127.0.0.1:6379": {"redis", "redis://127.0.0.1:6379"},
	} {
		l := NewLoader(env(map[string]string{"STORE": raw}))
		if got := l.Store(""); got != want || l.Err() != nil {
			t.Errorf("%s: got %+v, %v", raw, got, l.Err())
		}
	}
	for _, raw := range []string{"bolt:", "postgres://x", "mysql"} {
		l := NewLoader(env(map[string]string{"STORE": raw}))
		l.Store("")
		if l.Err() == nil {
			t.Errorf("%s: accepted", raw)
		}
	}
}
