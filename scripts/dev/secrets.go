package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/uriba-live/uriba/shared/standin/statefile"
)

// secretsFile is the file, in the store's folder, where the dev server keeps the secrets it
// generated, so that UserSigs, the merchant key and signed URLs stay valid across restarts.
const secretsFile = "dev-secrets.json"

// devSecrets are the settings the dev server generates when the environment leaves them unset,
// each with how it is made. This is the only place development secrets are generated.
var devSecrets = []struct {
	name     string
	generate func() string
}{
	{"IM_SECRET_KEY", func() string { return randomHex(32) }},
	{"URIBA_DEV_MERCHANT_KEY", func() string { return "mk_" + randomHex(16) }},
	{"STREAM_PUSH_KEY", func() string { return randomHex(16) }},
	{"STREAM_PLAY_KEY", func() string { return randomHex(16) }},
	{"STREAM_CALLBACK_KEY", func() string { return randomHex(16) }},
	{"CLOUDAPI_SECRET_KEY", func() string { return randomHex(16) }},
}

// keptSecrets are the development secrets of one start: from the environment when set there, else
// from the secrets file, else generated and added to it.
type keptSecrets struct {
	// path is the secrets file; empty when the store is not a bolt file, and the secrets are
	// then kept nowhere.
	path      string
	values    map[string]string // name → value, the environment's where it sets one
	inFile    []string          // the names whose values are the file's (unset in the environment)
	generated []string          // the names of inFile generated on this start
}

// loadSecrets resolves every development secret, keeping those it generates in dir's secrets
// file (dir empty: in memory only).
func loadSecrets(getenv func(string) string, dir string) (*keptSecrets, error) {
	s := &keptSecrets{values: make(map[string]string)}
	stored := map[string]string{}
	if dir != "" {
		s.path = filepath.Join(dir, secretsFile)
		if _, err := statefile.Load(s.path, &stored); err != nil {
			return nil, fmt.Errorf("read the development secrets: %w", err)
		}
	}
	for _, d := range devSecrets {
		switch {
		case strings.TrimSpace(getenv(d.name)) != "":
			s.values[d.name] = strings.TrimSpace(getenv(d.name))
		case stored[d.name] != "":
			s.values[d.name] = stored[d.name]
			s.inFile = append(s.inFile, d.name)
		default:
			s.values[d.name] = d.generate()
			stored[d.name] = s.values[d.name]
			s.inFile = append(s.inFile, d.name)
			s.generated = append(s.generated, d.name)
		}
	}
	if s.path != "" && len(s.generated) > 0 {
		if err := statefile.Save(s.path, stored); err != nil {
			return nil, fmt.Errorf("keep the development secrets (set %s in the environment instead): %w", strings.Join(s.generated, ", "), err)
		}
	}
	return s, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
