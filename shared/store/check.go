package store

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The checks below are the port's rules, shared by the adapters so that every adapter refuses the
// same calls with the same ErrInvalid.

// CheckKey reports an ErrInvalid *Error for op when key is not a valid key: empty, longer than
// MaxKeySize, not UTF-8, or ending with '/'.
func CheckKey(op, key string) error {
	switch {
	case key == "":
		return Invalid(op, key, "empty key")
	case len(key) > MaxKeySize:
		return Invalid(op, key, "key longer than "+strconv.Itoa(MaxKeySize)+" bytes")
	case !utf8.ValidString(key):
		return Invalid(op, key, "key is not UTF-8")
	case key[len(key)-1] == '/':
		return Invalid(op, key, "key ends with '/'")
	}
	return nil
}

// CheckPut reports an ErrInvalid *Error for op when key, value or ttl break the port's rules.
func CheckPut(op, key string, value []byte, ttl time.Duration) error {
	if err := CheckKey(op, key); err != nil {
		return err
	}
	if len(value) > MaxValueSize {
		return Invalid(op, key, "value larger than "+strconv.Itoa(MaxValueSize)+" bytes")
	}
	if ttl < 0 {
		return Invalid(op, key, "negative ttl")
	}
	return nil
}

// CheckScan reports an ErrInvalid *Error for op when dir, after or limit are not valid arguments
// of Scan.
func CheckScan(op, dir, after string, limit int) error {
	switch {
	case dir == "" || dir[len(dir)-1] != '/':
		return Invalid(op, dir, "directory does not end with '/'")
	case len(dir) >= MaxKeySize:
		return Invalid(op, dir, "directory longer than "+strconv.Itoa(MaxKeySize-1)+" bytes")
	case !utf8.ValidString(dir):
		return Invalid(op, dir, "directory is not UTF-8")
	case limit < 1 || limit > MaxScan:
		return Invalid(op, dir, "limit outside 1.."+strconv.Itoa(MaxScan))
	case after != "" && (len(after) <= len(dir) || !strings.HasPrefix(after, dir) || strings.Contains(after[len(dir):], "/")):
		return Invalid(op, dir, "after is not a key of the directory")
	}
	return nil
}

// Split returns the directory of key, up to and including its last '/', and its name, the rest.
// The directory is "" for a key without '/'.
func Split(key string) (dir, name string) {
	i := strings.LastIndexByte(key, '/')
	return key[:i+1], key[i+1:]
}
