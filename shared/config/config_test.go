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
	l.IMCallbacks()
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
		"IM_SDKAPPID": "1400000001", "IM_SECRET_KEY": "s3cr3t", "IM_REGION": "jpn", "IM_CALLBACK_TOKEN": "tok-0123456789abcdef",
	}))
	c, cb := l.IM(), l.IMCallbacks()
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	if c.SDKAppID != 1400000001 || c.Admin != "administrator" || cb.Window != time.Minute || c.Region != "jpn" || cb.Token.Reveal() != "tok-0123456789abcdef" {
		t.Fatalf("unexpected config %+v %+v", c, cb)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	l := NewLoader(env(map[string]string{
		"IM_SDKAPPID": "1400000001", "IM_SECRET_KEY": "topsecretvalue", "IM_BASE_URL": "not a url",
		"IM_CALLBACK_TOKEN": "tokenvalue", "MERCHANT_KEY_SHA256": "zz-topsecretvalue",
	}))
	c, cb := l.IM(), l.IMCallbacks()
	l.MerchantKeys()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "im", c, "key", c.SecretKey, "callbacks", cb)
	out := fmt.Sprintf("%v %+v %#v %v %+v %#v %s %v", c, c, c, cb, cb, cb, logs.String(), l.Err())
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
		"bolt:var/uriba.db":      {Kind: "bolt", Target: "var/uriba.db"},
		"dynamodb:uriba":         {Kind: "dynamodb", Target: "uriba", AWS: AWS{Region: "ap-northeast-1", AccessKeyID: "AKID", SecretAccessKey: "s", DynamoDBEndpoint: "http://127.0.0.1:5000", SQSEndpoint: "http://127.0.0.1:5000"}},
		"redis://127.0.0.1:6379": {Kind: "redis", Target: "redis://127.0.0.1:6379"},
	} {
		l := NewLoader(env(map[string]string{"STORE": raw, "AWS_REGION": "ap-northeast-1", "AWS_ACCESS_KEY_ID": "AKID",
			"AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}))
		if got := l.Store(""); got != want || l.Err() != nil {
			t.Errorf("%s: got %+v, %v", raw, got, l.Err())
		}
	}
	l := NewLoader(env(map[string]string{"STORE": "dynamodb:uriba"}))
	if l.Store(""); l.Err() == nil || !strings.Contains(l.Err().Error(), "AWS_REGION") || !strings.Contains(l.Err().Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("a table without AWS access: %v", l.Err())
	}
	for _, raw := range []string{"bolt:", "postgres://x", "mysql"} {
		l := NewLoader(env(map[string]string{"STORE": raw}))
		l.Store("")
		if l.Err() == nil {
			t.Errorf("%s: accepted", raw)
		}
	}
}

func TestCloudAPIAcceptsSCFRoleCredentials(t *testing.T) {
	l := NewLoader(env(nil))
	l.CloudAPI("invokes levelupdater")
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "CLOUDAPI_SECRET_ID") || !strings.Contains(err.Error(), "CLOUDAPI_REGION") {
		t.Fatalf("err %v", err)
	}
	l = NewLoader(env(map[string]string{"TENCENTCLOUD_SECRETID": "id", "TENCENTCLOUD_SECRETKEY": "key", "TENCENTCLOUD_SESSIONTOKEN": "tok",
		"CLOUDAPI_REGION": "ap-singapore"}))
	c := l.CloudAPI("invokes levelupdater")
	if l.Err() != nil || c.SecretID != "id" || c.SecretKey.Reveal() != "key" || c.Token.Reveal() != "tok" || c.Region != "ap-singapore" || c.BaseURL != "" {
		t.Errorf("role credentials: %+v, %v", c, l.Err())
	}
}

func TestCloudAPIKeyOfItsOwnIsNotMixedWithTheRoles(t *testing.T) {
	role := map[string]string{"TENCENTCLOUD_SECRETID": "role-id", "TENCENTCLOUD_SECRETKEY": "role-key", "TENCENTCLOUD_SESSIONTOKEN": "role-token"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range role {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for name, tc := range map[string]struct {
		env            map[string]string
		id, key, token string
		region         string
	}{
		"own key": {with(map[string]string{"CLOUDAPI_SECRET_ID": "own-id", "CLOUDAPI_SECRET_KEY": "own-key", "CLOUDAPI_REGION": "ap-tokyo"}),
			"own-id", "own-key", "", "ap-tokyo"},
		"earlier names": {with(map[string]string{"TENCENTCLOUD_SECRET_ID": "old-id", "TENCENTCLOUD_SECRET_KEY": "old-key", "TENCENTCLOUD_REGION": "ap-seoul"}),
			"old-id", "old-key", "", "ap-seoul"},
		"new names win": {with(map[string]string{"CLOUDAPI_SECRET_ID": "own-id", "CLOUDAPI_SECRET_KEY": "own-key", "CLOUDAPI_REGION": "ap-tokyo",
			"TENCENTCLOUD_SECRET_ID": "old-id", "TENCENTCLOUD_SECRET_KEY": "old-key", "TENCENTCLOUD_REGION": "ap-seoul"}),
			"own-id", "own-key", "", "ap-tokyo"},
	} {
		l := NewLoader(env(tc.env))
		c := l.CloudAPI("drops streams")
		if l.Err() != nil || c.SecretID != tc.id || c.SecretKey.Reveal() != tc.key || c.Token.Reveal() != tc.token || c.Region != tc.region {
			t.Errorf("%s: %+v (token %q), %v", name, c, c.Token.Reveal(), l.Err())
		}
	}
	l := NewLoader(env(map[string]string{"CLOUDAPI_SECRET_ID": "own-id", "CLOUDAPI_REGION": "ap-tokyo", "TENCENTCLOUD_SECRETKEY": "role-key"}))
	if l.CloudAPI("drops streams"); l.Err() == nil || !strings.Contains(l.Err().Error(), "CLOUDAPI_SECRET_KEY") {
		t.Errorf("a key ID without its secret was accepted: %v", l.Err())
	}
}

func TestActivityQueue(t *testing.T) {
	for raw, want := range map[string]string{"sqs:https://sqs.local/q": "sqs", "log": "log"} {
		l := NewLoader(env(map[string]string{"ACTIVITY_QUEUE": raw, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}))
		if q := l.ActivityQueue(); q.Kind != want || l.Err() != nil {
			t.Errorf("%s: %+v %v", raw, q, l.Err())
		}
	}
	l := NewLoader(env(map[string]string{"ACTIVITY_QUEUE": "scf", "CLOUDAPI_SECRET_ID": "id", "CLOUDAPI_SECRET_KEY": "k",
		"CLOUDAPI_REGION": "ap-tokyo", "LEVELUPDATER_FUNCTION": "uriba-prod-levelupdater"}))
	if q := l.ActivityQueue(); q.Kind != "scf" || q.Function != "uriba-prod-levelupdater" || q.Namespace != "default" || q.API.Region != "ap-tokyo" || l.Err() != nil {
		t.Errorf("scf: %+v %v", q, l.Err())
	}
	for _, raw := range []string{"", "kafka:topic", "sqs:"} {
		l := NewLoader(env(map[string]string{"ACTIVITY_QUEUE": raw}))
		if l.ActivityQueue(); l.Err() == nil || !strings.Contains(l.Err().Error(), "ACTIVITY_QUEUE") {
			t.Errorf("%q accepted outside a laptop", raw)
		}
	}
	if l := NewLocalLoader(env(nil)); l.ActivityQueue().Kind != "log" || l.Err() != nil {
		t.Error("a laptop does not default to log")
	}
}

func TestBool(t *testing.T) {
	for raw, want := range map[string]bool{"": true, "true": true, "On": true, "1": true, "no": false, "FALSE": false, "0": false} {
		l := NewLoader(env(map[string]string{"FLAG": raw}))
		if got := l.Bool("FLAG", true); got != want || l.Err() != nil {
			t.Errorf("%q: %v, %v", raw, got, l.Err())
		}
	}
	l := NewLoader(env(map[string]string{"FLAG": "maybe"}))
	if l.Bool("FLAG", false); l.Err() == nil || !strings.Contains(l.Err().Error(), "FLAG") {
		t.Errorf("maybe: %v", l.Err())
	}
}
