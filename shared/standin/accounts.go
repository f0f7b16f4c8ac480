package standin

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/tim"
)

// account is an imported IM account and its profile, keyed by tag.
type account struct {
	id       string
	imported time.Time
	profile  map[string]json.RawMessage
}

func newAccount(id string, now time.Time) *account {
	return &account{id: id, imported: now, profile: make(map[string]json.RawMessage)}
}

// stringTag returns a string profile field, or "" when it is unset.
func (a *account) stringTag(tag string) string {
	var s string
	if a != nil {
		_ = json.Unmarshal(a.profile[tag], &s)
	}
	return s
}

// Profile limits the stand-in applies.
const (
	// maxProfileStringBytes bounds built-in string fields such as the nickname.
	maxProfileStringBytes = 500
	maxPortraitAccounts   = 100
	maxCustomTagName      = 8
	customTagPrefix       = "Tag_Profile_Custom_"
)

// Built-in profile tags and whether their value is a number.
var builtinTags = map[string]bool{
	tim.TagNick:                      false,
	tim.TagImage:                     false,
	"Tag_Profile_IM_Gender":          false,
	"Tag_Profile_IM_Location":        false,
	"Tag_Profile_IM_SelfSignature":   false,
	"Tag_Profile_IM_AllowType":       false,
	"Tag_Profile_IM_AdminForbidType": false,
	"Tag_Profile_IM_BirthDay":        true,
	"Tag_Profile_IM_Language":        true,
	"Tag_Profile_IM_MsgSettings":     true,
	"Tag_Profile_IM_Role":            true,
	tim.TagLevel:                     true,
}

// checkUserID applies IM's UserID rules, as live.ValidateUserID states them: 1 to 32 bytes of
// printable ASCII, not in the namespaces IM reserves for its own accounts.
func checkUserID(id string) *imError {
	if err := live.ValidateUserID(id); err != nil {
		return errorf(codeImportParam, "UserID is invalid: %s", strings.TrimSuffix(live.ErrorMessage(err), "."))
	}
	return nil
}

// printableASCII reports whether s is printable ASCII, as IM's IDs must be.
func printableASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e })
}

// accountImport answers im_open_login_svc/account_import. Importing an account again is
// harmless; a Nick or FaceUrl given again replaces the profile's.
func (im *IM) accountImport(c *restCall) (any, *imError) {
	var req tim.AccountImportRequest
	if e := decode(c.body, &req, codeImportParam); e != nil {
		return nil, e
	}
	if e := checkUserID(req.UserID); e != nil {
		return nil, e
	}
	if len(req.Nick) > maxProfileStringBytes || len(req.FaceURL) > maxProfileStringBytes {
		return nil, errorf(codeImportParam, "Nick and FaceUrl are limited to %d bytes", maxProfileStringBytes)
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	a := im.accounts[req.UserID]
	if a == nil {
		a = newAccount(req.UserID, im.now())
		im.accounts[req.UserID] = a
	}
	if req.Nick != "" {
		a.profile[tim.TagNick], _ = json.Marshal(req.Nick)
	}
	if req.FaceURL != "" {
		a.profile[tim.TagImage], _ = json.Marshal(req.FaceURL)
	}
	im.changedLocked()
	return ok()
}

// portraitSet answers profile/portrait_set. Every item is checked before any is stored.
func (im *IM) portraitSet(c *restCall) (any, *imError) {
	var req tim.PortraitSetRequest
	if e := decode(c.body, &req, codeProfileParam); e != nil {
		return nil, e
	}
	if req.FromAccount == "" {
		return nil, errorf(codeProfileParam, "From_Account is required")
	}
	if len(req.ProfileItem) == 0 {
		return nil, errorf(codeProfileParam, "ProfileItem is empty")
	}
	values := make([]json.RawMessage, len(req.ProfileItem))
	for i, item := range req.ProfileItem {
		v, e := checkProfileItem(item)
		if e != nil {
			return nil, e
		}
		values[i] = v
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	a := im.accounts[req.FromAccount]
	if a == nil {
		return nil, errorf(codeProfileAccount, "account %q does not exist", req.FromAccount)
	}
	for i, item := range req.ProfileItem {
		a.profile[item.Tag] = values[i]
	}
	im.changedLocked()
	return ok()
}

// checkProfileItem validates one profile item and returns its value in compact form.
func checkProfileItem(item tim.ProfileItem) (json.RawMessage, *imError) {
	raw := bytes.TrimSpace(item.Value)
	if len(raw) == 0 {
		return nil, errorf(codeProfileParam, "%s has no Value", item.Tag)
	}
	numeric, builtin := builtinTags[item.Tag]
	custom := strings.HasPrefix(item.Tag, customTagPrefix)
	if !builtin && !custom {
		return nil, errorf(codeProfileTag, "unknown profile tag %q", item.Tag)
	}
	if custom {
		name := strings.TrimPrefix(item.Tag, customTagPrefix)
		if name == "" || len(name) > maxCustomTagName || !isWord(name) {
			return nil, errorf(codeProfileTag, "custom tag %q: the name after %s must be 1 to %d letters, digits or _", item.Tag, customTagPrefix, maxCustomTagName)
		}
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, errorf(codeProfileParam, "%s: Value is not a JSON string", item.Tag)
		}
		if builtin && numeric {
			return nil, errorf(codeProfileParam, "%s takes an integer, not a string", item.Tag)
		}
		limit := maxProfileStringBytes
		if custom {
			limit = tim.MaxProfileCustomBytes
		}
		if len(s) > limit {
			return nil, errorf(codeProfileParam, "%s is longer than %d bytes", item.Tag, limit)
		}
		b, _ := json.Marshal(s)
		return b, nil
	}
	if builtin && !numeric {
		return nil, errorf(codeProfileParam, "%s takes a string", item.Tag)
	}
	n, err := strconv.ParseUint(string(raw), 10, 32)
	if err != nil {
		return nil, errorf(codeProfileParam, "%s takes an unsigned 32-bit integer", item.Tag)
	}
	return json.RawMessage(strconv.FormatUint(n, 10)), nil
}

// portraitGet answers profile/portrait_get with the tags of each account that are set. An
// account that was never imported gets ResultCode 40003; the envelope stays OK.
func (im *IM) portraitGet(c *restCall) (any, *imError) {
	var req tim.PortraitGetRequest
	if e := decode(c.body, &req, codeProfileParam); e != nil {
		return nil, e
	}
	if len(req.ToAccount) == 0 || len(req.ToAccount) > maxPortraitAccounts {
		return nil, errorf(codeProfileParam, "To_Account must name 1 to %d accounts", maxPortraitAccounts)
	}
	if len(req.TagList) == 0 {
		return nil, errorf(codeProfileParam, "TagList is empty")
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	reply := tim.PortraitGetReply{Reply: tim.OK, UserProfileItem: []tim.UserProfile{}}
	for _, id := range req.ToAccount {
		a := im.accounts[id]
		if a == nil {
			reply.UserProfileItem = append(reply.UserProfileItem, tim.UserProfile{
				ToAccount: id, ProfileItem: []tim.ProfileItem{}, ResultCode: codeProfileAccount, ResultInfo: "account does not exist",
			})
			continue
		}
		items := []tim.ProfileItem{}
		for _, tag := range req.TagList {
			if v, ok := a.profile[tag]; ok {
				items = append(items, tim.ProfileItem{Tag: tag, Value: append(json.RawMessage(nil), v...)})
			}
		}
		reply.UserProfileItem = append(reply.UserProfileItem, tim.UserProfile{ToAccount: id, ProfileItem: items})
	}
	return reply, nil
}

// isWord reports whether s has only ASCII letters, digits and '_'.
func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
