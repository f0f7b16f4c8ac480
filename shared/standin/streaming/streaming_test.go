package streaming

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/css"
)

// cloudAPI calls action on l's Cloud API with params as the body and fails unless it succeeds.
func cloudAPI(t *testing.T, l *Live, action, params string) {
	t.Helper()
	srv := httptest.NewServer(l.Handler())
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(params))
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", css.Version)
	req.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential=AKIDtest/2025-01-01/live/tc3_request, SignedHeaders=content-type;host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(b), `"Error"`) {
		t.Fatalf("%s: %s", action, b)
	}
}

func TestTheStateFileKeepsOnlineAndForbiddenStreamsAcrossARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "streaming.json")
	now := time.Now()
	cfg := Config{PushDomain: "push.example.com", App: "live", StateFile: path, Now: func() time.Time { return now }}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range []string{"on-air", "ended", "resumed"} {
		if _, err := l.StartPush(ctx, s, ""); err != nil {
			t.Fatal(err)
		}
	}
	resume := now.Add(48 * time.Hour).UTC().Truncate(time.Second)
	cloudAPI(t, l, "ForbidLiveStream", `{"StreamName":"ended","DomainName":"push.example.com","AppName":"live","ResumeTime":"`+resume.Format(time.RFC3339)+`"}`)
	cloudAPI(t, l, "ForbidLiveStream", `{"StreamName":"resumed","DomainName":"push.example.com","AppName":"live"}`)
	cloudAPI(t, l, "ResumeLiveStream", `{"StreamName":"resumed","DomainName":"push.example.com","AppName":"live"}`)
	l.Close()

	l2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if !l2.Online("on-air") || l2.Online("ended") || l2.Online("resumed") {
		t.Errorf("online after the restart: on-air %v, ended %v, resumed %v; want only on-air", l2.Online("on-air"), l2.Online("ended"), l2.Online("resumed"))
	}
	if until, forbidden := l2.Forbidden("ended"); !forbidden || !until.Equal(resume) {
		t.Errorf("ended after the restart: forbidden %v until %v, want until %v", forbidden, until, resume)
	}
	if _, forbidden := l2.Forbidden("resumed"); forbidden {
		t.Error("a resumed stream is forbidden after the restart")
	}
	if _, err := l2.StartPush(ctx, "ended", ""); err != ErrForbidden {
		t.Errorf("push of the forbidden stream after the restart: %v, want ErrForbidden", err)
	}

	// Once the forbidding has run out, a restart forgets it.
	now = resume.Add(time.Second)
	l3, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l3.Close()
	if _, forbidden := l3.Forbidden("ended"); forbidden {
		t.Error("a forbidding that ran out survived the restart")
	}
}

func TestABrokenStreamStateFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "streaming.json")
	l, err := New(Config{StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.StartPush(context.Background(), "s", ""); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := os.WriteFile(path, []byte(`{"version":1,"online":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{StateFile: path}); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("New on a torn file: %v, want a refusal that says to delete it", err)
	}
}
