package tim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBaseURLForRegion(t *testing.T) {
	tests := map[string]string{
		"china":          "https://console.tim.qq.com",
		"CN":             "https://console.tim.qq.com",
		"sgp":            "https://adminapisgp.im.qcloud.com",
		"Singapore":      "https://adminapisgp.im.qcloud.com",
		"kr":             "https://adminapikr.im.qcloud.com",
		"seoul":          "https://adminapikr.im.qcloud.com",
		"jpn":            "https://adminapijpn.im.qcloud.com",
		"tokyo":          "https://adminapijpn.im.qcloud.com",
		"ger":            "https://adminapiger.im.qcloud.com",
		"frankfurt":      "https://adminapiger.im.qcloud.com",
		"ind":            "https://adminapiind.im.qcloud.com",
		"mumbai":         "https://adminapiind.im.qcloud.com",
		"usa":            "https://adminapiusa.im.qcloud.com",
		"Silicon Valley": "https://adminapiusa.im.qcloud.com",
		"silicon-valley": "https://adminapiusa.im.qcloud.com",
		"idn":            "https://adminapiidn.im.qcloud.com",
		" jakarta ":      "https://adminapiidn.im.qcloud.com",
	}
	for region, want := range tests {
		got, err := BaseURLForRegion(region)
		if err != nil || got != want {
			t.Errorf("BaseURLForRegion(%q) = %q, %v; want %q", region, got, err, want)
		}
	}
	for _, bad := range []string{"", "mars", "ap-guangzhou"} {
		if _, err := BaseURLForRegion(bad); err == nil {
			t.Errorf("BaseURLForRegion(%q) succeeded", bad)
		}
	}
}

func TestNewClientChoosesBaseURL(t *testing.T) {
	tests := []struct {
		base, region, want string
	}{
		{"", "sgp", "https://adminapisgp.im.qcloud.com"},
		{"http://127.0.0.1:8080/", "sgp", "http://127.0.0.1:8080"},
		{"https://im.example.com/prefix/", "", "https://im.example.com/prefix"},
	}
	for _, tt := range tests {
		c, err := NewClient(ClientConfig{SDKAppID: testAppID, SecretKey: testKey, Admin: testAdmin, BaseURL: tt.base, Region: tt.region})
		if err != nil {
			t.Fatalf("NewClient(%q, %q): %v", tt.base, tt.region, err)
		}
		if c.BaseURL() != tt.want {
			t.Errorf("BaseURL() = %q, want %q", c.BaseURL(), tt.want)
		}
	}
}

func TestNewClientReportsEveryProblemWithoutTheKey(t *testing.T) {
	_, err := NewClient(ClientConfig{SecretKey: testKey, Admin: strings.Repeat("a", 33)})
	if err == nil {
		t.Fatal("NewClient accepted a config without SDKAppID, base URL or region")
	}
	msg := err.Error()
	for _, want := range []string{"SDKAppID", "Admin", "neither BaseURL nor Region"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %s", msg, want)
		}
	}
	if strings.Contains(msg, testKey) {
		t.Errorf("error %q contains the key", msg)
	}

	tests := []struct {
		name string
		cfg  ClientConfig
		want string
	}{
		{"no key", ClientConfig{SDKAppID: 1, Admin: "a", Region: "sgp"}, "SecretKey is empty"},
		{"no admin", ClientConfig{SDKAppID: 1, SecretKey: testKey, Region: "sgp"}, "Admin"},
		{"unknown region", ClientConfig{SDKAppID: 1, SecretKey: testKey, Admin: "a", Region: "mars"}, `unknown IM region "mars"`},
		{"ftp base", ClientConfig{SDKAppID: 1, SecretKey: testKey, Admin: "a", BaseURL: "ftp://x"}, "https://"},
		{"base with credentials", ClientConfig{SDKAppID: 1, SecretKey: testKey, Admin: "a", BaseURL: "https://u:" + testKey + "@x"}, "credentials"},
		{"base without host", ClientConfig{SDKAppID: 1, SecretKey: testKey, Admin: "a", BaseURL: "https://"}, "no host"},
		{"negative attempts", ClientConfig{SDKAppID: 1, SecretKey: testKey, Admin: "a", Region: "sgp", Retry: RetryPolicy{MaxAttempts: -1}}, "MaxAttempts"},
		{"max below base", ClientConfig{SDKAppID: 1, SecretKey: testKey, Admin: "a", Region: "sgp",
			Retry: RetryPolicy{BaseDelay: time.Second, MaxDelay: time.Millisecond}}, "MaxDelay"},
	}
	for _, tt := range tests {
		_, err := NewClient(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("%s: error %q contains the key", tt.name, err)
		}
	}
}

func TestNewClientUsesTheGivenHTTPClient(t *testing.T) {
	hc := &http.Client{}
	c, err := NewClient(ClientConfig{SDKAppID: 1, SecretKey: testKey, Admin: "a", Region: "sgp", HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	if c.http != hc || c.transport != nil {
		t.Error("the client did not use the given HTTP client")
	}
	d, err := NewClient(ClientConfig{SDKAppID: 1, SecretKey: testKey, Admin: "a", Region: "sgp"})
	if err != nil {
		t.Fatal(err)
	}
	if d.transport == nil || d.transport.MaxIdleConnsPerHost < 64 || d.http.Transport != d.transport {
		t.Error("the default client has no dedicated keep-alive transport")
	}
}
