package credential

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uriba-live/uriba/shared/live"
)

type importer struct {
	imported []string
	err      error
}

func (i *importer) ImportAccount(_ context.Context, userID string, p Profile) error {
	if i.err != nil {
		return i.err
	}
	i.imported = append(i.imported, userID)
	return nil
}

type signer struct{ ttl time.Duration }

func (s *signer) Sign(userID string, ttl time.Duration) (string, time.Time, error) {
	s.ttl = ttl
	return "sig:" + userID, time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("JST", 9*3600)), nil
}

func TestIssueUserSigImportsThenSigns(t *testing.T) {
	imp, sig := &importer{}, &signer{}
	iss := &Issuer{SDKAppID: 1400000001, Accounts: imp, Signer: sig}
	got, err := iss.IssueUserSig(context.Background(), "mei", Profile{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.imported) != 1 || imp.imported[0] != "mei" {
		t.Fatalf("imported %v", imp.imported)
	}
	if got.UserSig != "sig:mei" || got.SDKAppID != 1400000001 || got.UserID != "mei" || sig.ttl != DefaultTTL {
		t.Fatalf("got %+v (ttl %v)", got, sig.ttl)
	}
	if got.ExpiresAt.Location() != time.UTC {
		t.Fatalf("expiry %v is not in UTC", got.ExpiresAt)
	}
}

func TestIssueUserSigSignsNothingWhenImportFails(t *testing.T) {
	imp, sig := &importer{err: errors.New("IM unreachable")}, &signer{}
	iss := &Issuer{Accounts: imp, Signer: sig, TTL: time.Hour}
	if _, err := iss.IssueUserSig(context.Background(), "mei", Profile{}); err == nil {
		t.Fatal("want the import error")
	}
	if sig.ttl != 0 {
		t.Fatal("a UserSig was signed for an account IM does not know")
	}
}

func TestIssueUserSigRefusesTheAdminAndIMsOwnAccounts(t *testing.T) {
	for _, c := range []struct{ admin, userID string }{
		{"", "administrator"},
		{"administrator", "administrator"},
		{"ops_admin", "ops_admin"},
		{"administrator", "@TIM#SYSTEM"},
		{"administrator", "@TLS#NOT_FOUND"},
		{"administrator", ""},
	} {
		imp, sig := &importer{}, &signer{}
		iss := &Issuer{SDKAppID: 1400000001, Admin: c.admin, Accounts: imp, Signer: sig}
		_, err := iss.IssueUserSig(context.Background(), c.userID, Profile{})
		if live.ErrorCode(err) != live.EInvalid {
			t.Errorf("%q under admin %q: %v, want %s", c.userID, c.admin, err, live.EInvalid)
		}
		if len(imp.imported) != 0 || sig.ttl != 0 {
			t.Errorf("%q under admin %q: imported %v, signed %v", c.userID, c.admin, imp.imported, sig.ttl != 0)
		}
	}
}
