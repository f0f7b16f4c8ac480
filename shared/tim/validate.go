package tim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/uriba-live/uriba/shared/live"
)

// The validators below check IM's documented limits. Each returns nil or an *Error of
// KindInvalid whose Field names the offending field, so HTTP handlers can reuse them and report
// the same message the client would. Lengths are in bytes of UTF-8, as IM counts them.

func invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// ValidateUserID checks an IM account ID by live.ValidateUserID's rules: 1 to 32 bytes of
// printable ASCII, not starting with a prefix IM reserves for its own accounts.
func ValidateUserID(id string) error {
	return checkUserID("UserID", id)
}

// checkUserID checks the user ID in a request field by live.ValidateUserID's rules.
func checkUserID(field, id string) error {
	if err := live.ValidateUserID(id); err != nil {
		return invalid(field, "is invalid: %s", strings.TrimSuffix(live.ErrorMessage(err), "."))
	}
	return nil
}

// ValidateGroupID checks a GroupId chosen by the app when it creates a group: not empty, at
// most 48 bytes of printable ASCII, and not starting with "@TGS#", the prefix of the IDs IM
// assigns itself.
func ValidateGroupID(id string) error {
	return checkNewGroupID("GroupId", id)
}

func checkNewGroupID(field, id string) error {
	if err := checkGroupRef(field, id); err != nil {
		return err
	}
	if strings.HasPrefix(id, ReservedGroupIDPrefix) {
		return invalid(field, "must not start with %q", ReservedGroupIDPrefix)
	}
	return nil
}

// ValidateGroupRef checks a GroupId that names an existing group. It accepts the IDs IM
// assigns ("@TGS#…") as well as app-chosen ones: not empty, at most 48 bytes of printable ASCII.
func ValidateGroupRef(id string) error {
	return checkGroupRef("GroupId", id)
}

func checkGroupRef(field, id string) error {
	switch {
	case id == "":
		return invalid(field, "must not be empty")
	case len(id) > MaxGroupIDBytes:
		return invalid(field, "is %d bytes, longer than %d", len(id), MaxGroupIDBytes)
	case !printableASCII(id):
		return invalid(field, "must be printable ASCII")
	}
	return nil
}

// ValidateGroupName checks a group Name: not empty, at most 30 bytes.
func ValidateGroupName(name string) error {
	if name == "" {
		return invalid("Name", "must not be empty")
	}
	return checkMaxBytes("Name", name, MaxGroupNameBytes)
}

// ValidateIntroduction checks a group Introduction: at most 240 bytes.
func ValidateIntroduction(s string) error {
	return checkMaxBytes("Introduction", s, MaxIntroductionBytes)
}

// ValidateNotification checks a group Notification: at most 300 bytes.
func ValidateNotification(s string) error {
	return checkMaxBytes("Notification", s, MaxNotificationBytes)
}

// ValidateFaceURL checks a group FaceUrl: at most 100 bytes.
func ValidateFaceURL(s string) error {
	return checkMaxBytes("FaceUrl", s, MaxFaceURLBytes)
}

// ValidateFieldKey checks the key of a group custom field (AppDefinedData): 1 to 16 bytes of
// ASCII letters, digits and '_', not starting with a digit.
func ValidateFieldKey(key string) error {
	const field = "AppDefinedData.Key"
	switch {
	case key == "":
		return invalid(field, "must not be empty")
	case len(key) > MaxFieldKeyBytes:
		return invalid(field, "%q is %d bytes, longer than %d", key, len(key), MaxFieldKeyBytes)
	case key[0] >= '0' && key[0] <= '9':
		return invalid(field, "%q must not start with a digit", key)
	}
	for i := 0; i < len(key); i++ {
		if !isWordByte(key[i]) {
			return invalid(field, "%q may hold only letters, digits and '_'", key)
		}
	}
	return nil
}

// ValidateFieldValue checks the value of a group custom field: at most 512 bytes. An empty value
// is valid and deletes the field.
func ValidateFieldValue(value string) error {
	return checkMaxBytes("AppDefinedData.Value", value, MaxFieldValueBytes)
}

// ValidateFields checks a list of group custom fields: at most 10 entries, each key and value
// valid, no key twice.
func ValidateFields(fields []KeyValue) error {
	if len(fields) > MaxGroupFields {
		return invalid("AppDefinedData", "has %d fields, more than %d", len(fields), MaxGroupFields)
	}
	for i, kv := range fields {
		if err := ValidateFieldKey(kv.Key); err != nil {
			return err
		}
		if err := ValidateFieldValue(kv.Value); err != nil {
			return err
		}
		for _, prev := range fields[:i] {
			if prev.Key == kv.Key {
				return invalid("AppDefinedData", "key %q appears twice", kv.Key)
			}
		}
	}
	return nil
}

// ValidatePriority checks a MsgPriority: empty (IM's default, Normal), High, Normal, Low or
// Lowest.
func ValidatePriority(p string) error {
	switch p {
	case "", PriorityHigh, PriorityNormal, PriorityLow, PriorityLowest:
		return nil
	}
	return invalid("MsgPriority", "%q is not High, Normal, Low or Lowest", p)
}

// ValidateMsgBody checks a message body: at least one element, each with a type and valid JSON
// content, and at most 8 KB once encoded.
func ValidateMsgBody(body []MsgElem) error {
	const field = "MsgBody"
	if len(body) == 0 {
		return invalid(field, "must hold at least one element")
	}
	for _, e := range body {
		if e.MsgType == "" || !printableASCII(e.MsgType) || strings.ContainsAny(e.MsgType, `"\<>&`) {
			return invalid(field, "element type %q is not valid", e.MsgType)
		}
		if len(e.MsgContent) == 0 || !json.Valid(e.MsgContent) {
			return invalid(field, "content of a %s element is not valid JSON", e.MsgType)
		}
	}
	if size := msgBodySize(body); size > MaxMessageBytes {
		return invalid(field, "is %d bytes encoded, more than %d", size, MaxMessageBytes)
	}
	return nil
}

// msgBodySize returns the length of body encoded by encoding/json. Contents are raw JSON, so
// the length is their sum plus the fixed framing, unless encoding changes them: it compacts
// whitespace and escapes <, > and &. Only then is the body encoded to measure it.
func msgBodySize(body []MsgElem) int {
	size := 2 + len(body) - 1 // brackets and commas
	for _, e := range body {
		if bytes.ContainsAny(e.MsgContent, "<>& \t\r\n\u2028\u2029") {
			b, err := json.Marshal(body)
			if err != nil {
				return math.MaxInt
			}
			return len(b)
		}
		size += len(`{"MsgType":"","MsgContent":}`) + len(e.MsgType) + len(e.MsgContent)
	}
	return size
}

// ValidateProfileItem checks one portrait_set item: a tag, a JSON value, and for app-defined
// tags ("Tag_Profile_Custom_" and up to 8 letters) a value of at most 500 bytes.
func ValidateProfileItem(item ProfileItem) error {
	const field = "ProfileItem"
	if item.Tag == "" || !printableASCII(item.Tag) {
		return invalid(field, "tag %q is not valid", item.Tag)
	}
	if len(item.Value) == 0 || !json.Valid(item.Value) {
		return invalid(field, "value of %s is not valid JSON", item.Tag)
	}
	name, custom := strings.CutPrefix(item.Tag, ProfileCustomTagPrefix)
	if !custom {
		return nil
	}
	if name == "" || len(name) > MaxProfileCustomTagLetters {
		return invalid(field, "custom tag %q must end in 1 to %d letters", item.Tag, MaxProfileCustomTagLetters)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i] | 0x20; c < 'a' || c > 'z' {
			return invalid(field, "custom tag %q must end in letters only", item.Tag)
		}
	}
	n := len(item.Value)
	var s string
	if json.Unmarshal(item.Value, &s) == nil {
		n = len(s)
	}
	if n > MaxProfileCustomBytes {
		return invalid(field, "value of %s is %d bytes, more than %d", item.Tag, n, MaxProfileCustomBytes)
	}
	return nil
}

func checkMaxBytes(field, s string, max int) error {
	if len(s) > max {
		return invalid(field, "is %d bytes, longer than %d", len(s), max)
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}
