// Package statefile keeps what a local stand-in, or the dev server, must remember across restarts
// in a small JSON file that only its owner can read. A file is replaced whole, through a
// temporary file in the same folder, so that a process stopped halfway leaves the previous
// version, never a torn one.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Mode is the permission of the files Save writes: read and write for the owner only.
const Mode fs.FileMode = 0o600

// Save writes v as indented JSON to path, replacing the file in one step, with Mode. It creates
// path's folder when it is missing.
func Save(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("statefile: encode %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := tmp.Chmod(Mode); err != nil {
		tmp.Close()
		return fmt.Errorf("statefile: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("statefile: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("statefile: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("statefile: %w", err)
	}
	return nil
}

// Load reads the JSON file at path into v. It reports false, and no error, when there is no such
// file. A file that others than its owner may read is made private.
func Load(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("statefile: %w", err)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&^Mode != 0 {
		_ = os.Chmod(path, Mode)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("statefile: %s is not valid JSON (delete it to start afresh): %w", path, err)
	}
	return true, nil
}
