// Package config reads uriba's settings from environment variables. Every function reads its
// settings once at start-up; every problem found is reported together, one sentence each, and
// secrets are never printed.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Secret is a configuration value that must never be printed. Its String, GoString and LogValue
// methods redact it; Reveal returns the value for the code that needs it.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts the secret in %#v output.
func (s Secret) GoString() string { return s.String() }

// LogValue redacts the secret in structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts the secret when it is encoded.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Loader reads variables through getenv and collects the problems it finds.
type Loader struct {
	// Local is true on a laptop (the dev server, or a function run as a plain HTTP server).
	// Settings that are only safe there, such as unsigned IM callbacks, are refused otherwise.
	Local bool

	getenv   func(string) string
	problems []string
}

// NewLoader returns a Loader that reads variables through getenv (os.Getenv in production). It
// applies the rules of a deployed function; set Local for a laptop.
func NewLoader(getenv func(string) string) *Loader {
	return &Loader{getenv: getenv}
}

// NewLocalLoader returns a Loader for a laptop: settings only safe there are accepted.
func NewLocalLoader(getenv func(string) string) *Loader {
	return &Loader{getenv: getenv, Local: true}
}

// Problemf records a problem with the configuration.
func (l *Loader) Problemf(format string, args ...any) {
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// Err returns one error listing every problem found so far, or nil.
func (l *Loader) Err() error {
	if len(l.problems) == 0 {
		return nil
	}
	return errors.New("configuration is not valid:\n  - " + strings.Join(l.problems, "\n  - "))
}

// String returns the trimmed value of name, or def when it is unset or blank.
func (l *Loader) String(name, def string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	return def
}

// Required returns the value of name and records a problem when it is unset.
func (l *Loader) Required(name, meaning string) string {
	v := l.String(name, "")
	if v == "" {
		l.Problemf("%s is not set: it must hold %s.", name, meaning)
	}
	return v
}

// Secret returns the value of name as a Secret, recording a problem when required and unset.
func (l *Loader) Secret(name, meaning string, required bool) Secret {
	v := l.getenv(name)
	if required && v == "" {
		l.Problemf("%s is not set: it must hold %s.", name, meaning)
	}
	return Secret(v)
}

// Int returns the integer value of name, def when unset, recording a problem when it is not a
// whole number between lo and hi.
func (l *Loader) Int(name string, def, lo, hi int) int {
	raw := l.String(name, "")
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		l.Problemf("%s is %q: it must be a whole number from %d to %d.", name, raw, lo, hi)
		return def
	}
	return n
}

// Bool returns the boolean value of name (true/false, 1/0, yes/no, on/off), def when unset,
// recording a problem when it is none of those.
func (l *Loader) Bool(name string, def bool) bool {
	raw := l.String(name, "")
	switch strings.ToLower(raw) {
	case "":
		return def
	case "yes", "on":
		return true
	case "no", "off":
		return false
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		l.Problemf("%s is %q: it must be true or false.", name, raw)
		return def
	}
	return b
}

// Duration returns the duration value of name (Go syntax such as "60s"), def when unset, recording
// a problem when it does not parse or is not positive.
func (l *Loader) Duration(name string, def time.Duration) time.Duration {
	raw := l.String(name, "")
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		l.Problemf("%s is %q: it must be a positive duration such as 60s or 5m.", name, raw)
		return def
	}
	return d
}

// OneOf returns the value of name, def when unset, recording a problem when it is not one of
// allowed.
func (l *Loader) OneOf(name, def string, allowed ...string) string {
	v := l.String(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	l.Problemf("%s is %q: it must be one of %s.", name, v, strings.Join(allowed, ", "))
	return def
}

// SHA256List parses a comma-separated list of hex SHA-256 digests, recording a problem for each
// entry that is not 64 hex digits. The entries themselves are never printed.
func (l *Loader) SHA256List(name string, required bool) [][sha256.Size]byte {
	raw := l.String(name, "")
	if raw == "" {
		if required {
			l.Problemf("%s is not set: it must hold the hex SHA-256 of at least one merchant API key.", name)
		}
		return nil
	}
	var out [][sha256.Size]byte
	for i, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var d [sha256.Size]byte
		b, err := hex.DecodeString(part)
		if err != nil || len(b) != sha256.Size {
			l.Problemf("%s entry %d is not a SHA-256 digest: it must be 64 hex digits.", name, i+1)
			continue
		}
		copy(d[:], b)
		out = append(out, d)
	}
	if required && len(out) == 0 && raw != "" {
		l.Problemf("%s holds no usable digest.", name)
	}
	return out
}
