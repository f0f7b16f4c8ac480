package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/function/local"
)

func printBanner(w io.Writer, s *settings) {
	var b strings.Builder
	fmt.Fprintf(&b, "uriba dev server listening on %s\n\n", s.baseURL)
	fmt.Fprintf(&b, "  demo             %s/  (merchant console; it opens the viewer pages)\n", s.baseURL)
	fmt.Fprintf(&b, "  API              %s/v1/…\n", s.baseURL)
	fmt.Fprintf(&b, "  health           %s/healthz\n", s.baseURL)
	im := config.NewLocalLoader(s.Getenv)
	app, store := im.IM(), im.Store("")
	if s.realIM {
		fmt.Fprintf(&b, "  IM               %s (real Tencent IM)\n", app.BaseURL)
	} else {
		fmt.Fprintf(&b, "  IM stand-in REST %s/v4/…\n", s.baseURL)
		fmt.Fprintf(&b, "  viewer client    %s/standin/… (see docs/standin.md)\n", s.baseURL)
	}
	fmt.Fprintf(&b, "  IM app           SDKAppID %d, admin %s\n", app.SDKAppID, app.Admin)
	fmt.Fprintf(&b, "  store            %s:%s\n", store.Kind, store.Target)
	if s.stateDir != "" {
		files := []string{filepath.Join(s.stateDir, local.StreamsStateFile)}
		if !s.realIM {
			files = append([]string{filepath.Join(s.stateDir, local.IMStateFile)}, files...)
		}
		fmt.Fprintf(&b, "  stand-in state   %s\n", strings.Join(files, ", "))
	}
	if sec := s.secrets; sec.path != "" && len(sec.inFile) > 0 {
		how := "reused"
		switch {
		case len(sec.generated) == len(sec.inFile):
			how = "generated now"
		case len(sec.generated) > 0:
			how = "reused; generated now: " + strings.Join(sec.generated, ", ")
		}
		fmt.Fprintf(&b, "  dev secrets      %s keeps %s (%s)\n", sec.path, strings.Join(sec.inFile, ", "), how)
		fmt.Fprintf(&b, "                   the environment overrides them; delete the file for new ones\n")
	}
	fmt.Fprintf(&b, "\nMerchant key: %s\n\nTry:\n", s.merchantKey)
	fmt.Fprintf(&b, "  curl -s -X POST -H 'Authorization: Bearer %s' %s/v1/users/viewer1/usersig\n\n", s.merchantKey, s.baseURL)
	fmt.Fprintln(&b, "Press Ctrl-C to stop.")
	_, _ = io.WriteString(w, b.String())
}
