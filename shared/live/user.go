package live

import "strings"

// User IDs are IM UserIDs: the account a viewer or an anchor logs in to IM with.
const (
	// MaxUserIDBytes bounds a user ID: IM's UserID holds 32 bytes.
	MaxUserIDBytes = 32
	// DefaultAdmin is the IM admin account when none is configured, IM_ADMIN's default.
	DefaultAdmin = "administrator"
)

// reservedUserIDPrefixes start the IDs IM keeps for itself, such as "@TIM#SYSTEM", the sender of
// system notices, and "@TLS#NOT_FOUND", which stands for an account IM does not know.
var reservedUserIDPrefixes = [...]string{"@TIM#", "@TLS#"}

// ValidateUserID checks a user ID against IM's rules for a UserID: 1 to 32 bytes of printable
// ASCII (no control characters, nothing beyond ASCII), not starting with "@TIM#" or "@TLS#",
// the prefixes of the accounts IM keeps for itself. It returns nil or an EInvalid error.
//
// Every user ID that crosses uriba's borders is checked here, whichever way it travels: in a
// path or a body, in a viewer's X-User-Id, in an IM call, in an activity. An ID that an outside
// caller names or acts for needs CheckMemberID as well.
func ValidateUserID(id string) error {
	switch {
	case id == "":
		return Errorf(EInvalid, "A user ID must not be empty.")
	case len(id) > MaxUserIDBytes:
		return Errorf(EInvalid, "A user ID is at most %d bytes; this one is %d.", MaxUserIDBytes, len(id))
	case !printableASCII(id):
		return Errorf(EInvalid, "A user ID must be printable ASCII, without control characters.")
	}
	for _, p := range reservedUserIDPrefixes {
		if strings.HasPrefix(id, p) {
			return Errorf(EInvalid, "User ID %q starts with %q, which IM reserves for its own accounts.", id, p)
		}
	}
	return nil
}

// CheckMemberID checks a user ID that an outside caller names or acts for: a viewer, an anchor,
// a gift's sender or receiver, a buyer. It must be a valid user ID (see ValidateUserID) and not
// admin, the app's IM admin account, whose UserSig opens every REST call and whose messages
// clients trust as the server's own. The admin is matched without regard to case, so that no
// spelling of it passes whether or not IM tells cases apart. An empty admin stands for
// DefaultAdmin. It returns nil or an EInvalid error, and should run before anything reaches IM
// or the store.
func CheckMemberID(id, admin string) error {
	if err := ValidateUserID(id); err != nil {
		return err
	}
	if admin == "" {
		admin = DefaultAdmin
	}
	if strings.EqualFold(id, admin) {
		return Errorf(EInvalid, "User ID %q is the app's IM admin account, which no member may use.", id)
	}
	return nil
}
