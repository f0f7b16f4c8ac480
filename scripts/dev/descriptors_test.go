package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestDeploymentDescriptorsRouteEveryEndpoint holds template.yaml (AWS SAM) and serverless.yml
// (Tencent SCF) to the routes the functions really serve: every route of the dev server, which
// serves them all, must be routed by both descriptors, and neither may route anything else.
func TestDeploymentDescriptorsRouteEveryEndpoint(t *testing.T) {
	env := map[string]string{"STORE": "bolt:" + filepath.Join(t.TempDir(), "uriba.db")}
	s := newSettings(func(k string) string { return env[k] })
	s.setBaseURL("http://127.0.0.1:1")
	srv, err := newServer(context.Background(), s, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var served []string
	for _, r := range srv.router.Routes() {
		if r != "GET /healthz" { // liveness of the local server only
			served = append(served, r)
		}
	}
	slices.Sort(served)

	for _, d := range []struct {
		file    string
		pattern *regexp.Regexp
		method  int
		path    int
	}{
		{"template.yaml", regexp.MustCompile(`Method: (\w+), Path: (?:"([^"]+)"|([^\s"}]+))`), 1, 2},
		{"serverless.yml", regexp.MustCompile(`path: (?:"([^"]+)"|([^\s",]+)), method: (\w+)`), 3, 1},
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", d.file))
		if err != nil {
			t.Fatal(err)
		}
		var routed []string
		for _, m := range d.pattern.FindAllStringSubmatch(string(b), -1) {
			path := m[d.path] + m[d.path+1] // quoted or bare
			routed = append(routed, m[d.method]+" "+path)
		}
		slices.Sort(routed)
		for _, r := range served {
			if _, found := slices.BinarySearch(routed, r); !found {
				t.Errorf("%s does not route %s", d.file, r)
			}
		}
		for _, r := range routed {
			if _, found := slices.BinarySearch(served, r); !found {
				t.Errorf("%s routes %s, which no function serves", d.file, r)
			}
		}
	}
}
