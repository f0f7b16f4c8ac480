package live

import (
	"strings"
	"testing"
)

func TestValidateUserID(t *testing.T) {
	cases := []struct {
		name, id string
		ok       bool
		detail   string // a part of the message, when it matters
	}{
		{"plain", "mei_01", true, ""},
		{"32 bytes", strings.Repeat("a", 32), true, ""},
		{"punctuation", "user@example.com~!", true, ""},
		{"the admin's name is still an IM UserID", "administrator", true, ""},
		{"@TIM# inside", "mei@TIM#", true, ""},
		{"empty", "", false, "empty"},
		{"33 bytes", strings.Repeat("a", 33), false, "33"},
		{"control byte", "a\nb", false, "control"},
		{"DEL", "a\x7fb", false, "printable"},
		{"not ASCII", "ユーザー", false, "ASCII"},
		{"IM's system sender", "@TIM#SYSTEM", false, `"@TIM#"`},
		{"IM's system prefix alone", "@TIM#", false, "reserves"},
		{"IM's unknown-account marker", "@TLS#NOT_FOUND", false, `"@TLS#"`},
	}
	for _, c := range cases {
		err := ValidateUserID(c.id)
		if (err == nil) != c.ok || (err != nil && (ErrorCode(err) != EInvalid || !strings.Contains(ErrorMessage(err), c.detail))) {
			t.Errorf("%s: %v, want ok %v", c.name, err, c.ok)
		}
	}
}

func TestCheckMemberID(t *testing.T) {
	cases := []struct {
		name, id, admin string
		ok              bool
	}{
		{"a viewer", "mei", "administrator", true},
		{"the admin", "administrator", "administrator", false},
		{"the default admin when none is configured", "administrator", "", false},
		{"a configured admin", "ops_admin", "ops_admin", false},
		{"the default name under another admin", "administrator", "ops_admin", true},
		{"the admin in another case", "Administrator", "administrator", false},
		{"a reserved ID", "@TIM#SYSTEM", "administrator", false},
		{"a malformed ID", strings.Repeat("a", 33), "administrator", false},
	}
	for _, c := range cases {
		err := CheckMemberID(c.id, c.admin)
		if (err == nil) != c.ok || (err != nil && ErrorCode(err) != EInvalid) {
			t.Errorf("%s: %v, want ok %v", c.name, err, c.ok)
		}
	}
	if err := CheckMemberID("administrator", ""); !strings.Contains(ErrorMessage(err), "admin") {
		t.Errorf("the refusal does not say why: %v", err)
	}
}

func TestInField(t *testing.T) {
	err := InField("anchorId", ValidateUserID(""))
	if ErrorCode(err) != EInvalid || ErrorMessage(err) != "anchorId: A user ID must not be empty." {
		t.Errorf("%v", err)
	}
	if InField("anchorId", nil) != nil {
		t.Error("nil became an error")
	}
}
