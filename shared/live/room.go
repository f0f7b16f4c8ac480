package live

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a room's texts. They are the limits of the IM group that carries the room, so that a
// room the domain accepts is one IM accepts too.
const (
	// MaxRoomIDBytes bounds a room ID: IM's custom GroupId holds 48 bytes.
	MaxRoomIDBytes = 48
	// ReservedRoomIDPrefix starts the group IDs IM assigns itself; a room ID must not start with it.
	ReservedRoomIDPrefix = "@TGS#"
	// MaxTitleBytes bounds a title: IM's group Name holds 30 bytes.
	MaxTitleBytes = 30
	// MaxIntroductionBytes bounds an introduction: IM's group Introduction holds 240 bytes.
	MaxIntroductionBytes = 240
	// MaxNoticeBytes bounds a notice: IM's group Notification holds 300 bytes.
	MaxNoticeBytes = 300
	// MaxProductFieldBytes bounds the encoded current product: a group custom field holds 512
	// bytes.
	MaxProductFieldBytes = 512
	// MaxProductNameRunes bounds a product's name, in characters.
	MaxProductNameRunes = 100
	// MaxProductIDBytes bounds a product's ID.
	MaxProductIDBytes = 64
	// MaxProductHistory is how many of its most recent pinned products a room shows; its
	// ProductsPinned counts them all.
	MaxProductHistory = 100
	// MaxURLBytes bounds a URL a product or a gift carries, so that the IM messages that carry
	// them stay inside IM's 8 KB.
	MaxURLBytes = 2048
)

// RoomStatus is where a room is in its life: created, live, paused or ended.
type RoomStatus string

// Room statuses. A room goes created → live ⇄ paused → ended; created → ended is allowed too,
// for a live that is called off before it starts. Ended is final.
const (
	StatusCreated RoomStatus = "created"
	StatusLive    RoomStatus = "live"
	StatusPaused  RoomStatus = "paused"
	StatusEnded   RoomStatus = "ended"
)

// RoomStatuses lists every status, in the order of a room's life.
var RoomStatuses = []RoomStatus{StatusCreated, StatusLive, StatusPaused, StatusEnded}

// Valid reports whether s is one of the four statuses.
func (s RoomStatus) Valid() bool {
	switch s {
	case StatusCreated, StatusLive, StatusPaused, StatusEnded:
		return true
	}
	return false
}

// ParseRoomStatus returns the status named s, or an EInvalid error.
func ParseRoomStatus(s string) (RoomStatus, error) {
	if st := RoomStatus(s); st.Valid() {
		return st, nil
	}
	return "", Errorf(EInvalid, "status %q is not one of created, live, paused, ended.", truncate(s, 40))
}

// transitions holds the legal changes of status.
var transitions = map[RoomStatus][]RoomStatus{
	StatusCreated: {StatusLive, StatusEnded},
	StatusLive:    {StatusPaused, StatusEnded},
	StatusPaused:  {StatusLive, StatusEnded},
}

// CanTransition reports whether a room may go from one status to another: created → live,
// live ⇄ paused, and live, paused or created → ended. Staying in the same status is not a
// transition, and CanTransition reports false for it; Room.Transition treats it as a change
// that changes nothing.
func CanTransition(from, to RoomStatus) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Room is a live room: an IM AVChatRoom group with the same ID, and what uriba knows of it.
type Room struct {
	ID           string     `json:"roomId"`
	Title        string     `json:"title"`
	AnchorID     string     `json:"anchorId"`
	Status       RoomStatus `json:"status"`
	StreamName   string     `json:"streamName"`
	Introduction string     `json:"introduction,omitempty"`
	Notice       string     `json:"notice,omitempty"`
	// Product is the product pinned now, if any.
	Product          *Product   `json:"product,omitempty"`
	ScheduledStartAt *time.Time `json:"scheduledStartAt,omitempty"`
	ScheduledEndAt   *time.Time `json:"scheduledEndAt,omitempty"`
	CreatedAt        time.Time  `json:"createdAt"`
	// StartedAt is when the room first went live; EndedAt when it ended.
	StartedAt *time.Time `json:"startedAt,omitempty"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
	// PausedAt is when the room last paused, while it is paused.
	PausedAt *time.Time `json:"pausedAt,omitempty"`
	// Stream is what the stream callbacks reported of the room's stream, if anything.
	Stream *Stream `json:"stream,omitempty"`
	// Products is the history of pinned products, the last MaxProductHistory of them, oldest
	// first. The room's own record does not hold it: the history is kept apart and filled in when
	// a room is read on its own.
	Products []PinnedProduct `json:"products,omitempty"`
	// ProductsPinned counts every pin, including those no longer in Products; the n-th pin is
	// the n-th history entry.
	ProductsPinned int `json:"productsPinned"`
}

// PinnedProduct is one entry of a room's product history.
type PinnedProduct struct {
	Product    Product    `json:"product"`
	PinnedAt   time.Time  `json:"pinnedAt"`
	UnpinnedAt *time.Time `json:"unpinnedAt,omitempty"`
}

// NewRoom returns a room in StatusCreated. The caller has validated the ID, title, anchor and
// introduction.
func NewRoom(id, title, anchorID, introduction string, start, end *time.Time, now time.Time) Room {
	return Room{
		ID:               id,
		Title:            title,
		AnchorID:         anchorID,
		Status:           StatusCreated,
		StreamName:       StreamName(id),
		Introduction:     introduction,
		ScheduledStartAt: start,
		ScheduledEndAt:   end,
		CreatedAt:        now,
	}
}

// Transition moves the room to status to and reports whether anything changed. Going live the
// first time records StartedAt, ending records EndedAt. Asking for the status the room already
// has changes nothing and is not an error (changed is false); an illegal transition is an
// EConflict error and leaves the room as it was.
func (r *Room) Transition(to RoomStatus, now time.Time) (changed bool, err error) {
	if !to.Valid() {
		return false, Errorf(EInvalid, "status %q is not one of created, live, paused, ended.", truncate(string(to), 40))
	}
	if r.Status == to {
		return false, nil
	}
	if !CanTransition(r.Status, to) {
		return false, transitionConflict(r.ID, r.Status, to)
	}
	if r.Status == StatusPaused {
		r.PausedAt = nil
	}
	r.Status = to
	switch to {
	case StatusPaused:
		t := now
		r.PausedAt = &t
	case StatusLive:
		if r.StartedAt == nil {
			t := now
			r.StartedAt = &t
		}
	case StatusEnded:
		t := now
		r.EndedAt = &t
	}
	return true, nil
}

func transitionConflict(id string, from, to RoomStatus) error {
	switch {
	case from == StatusEnded:
		return Errorf(EConflict, "Room %s has ended; an ended room cannot become %s.", id, to)
	case to == StatusCreated:
		return Errorf(EConflict, "Room %s is %s; a room cannot return to created.", id, from)
	case from == StatusCreated && to == StatusPaused:
		return Errorf(EConflict, "Room %s has not gone live yet; only a live room can be paused.", id)
	}
	return Errorf(EConflict, "Room %s cannot go from %s to %s.", id, from, to)
}

// Pin makes p the room's current product and counts the pin, and returns the history entry that
// records it: the ProductsPinned-th. An ended room refuses it with EConflict. The caller has
// validated p, and closes the entry of the product p replaces (see Unpin).
func (r *Room) Pin(p Product, now time.Time) (PinnedProduct, error) {
	if r.Status == StatusEnded {
		return PinnedProduct{}, Errorf(EConflict, "Room %s has ended; products can no longer be pinned.", r.ID)
	}
	r.Product = &p
	r.ProductsPinned++
	return PinnedProduct{Product: p, PinnedAt: now}, nil
}

// Unpin clears the room's current product and reports whether there was one; the history entry
// of that product, the ProductsPinned-th, then ends at the time of the unpin. An ended room
// refuses it with EConflict.
func (r *Room) Unpin() (changed bool, err error) {
	if r.Status == StatusEnded {
		return false, Errorf(EConflict, "Room %s has ended; its product can no longer be changed.", r.ID)
	}
	if r.Product == nil {
		return false, nil
	}
	r.Product = nil
	return true, nil
}

// ValidateRoomID checks a room ID chosen by a merchant. The room ID is the IM GroupId, so it
// follows IM's rules for custom GroupIds: 1 to 48 bytes of printable ASCII, not starting with
// "@TGS#". It is also a segment of the room's URL, so "." and "..", which name the current and
// the parent path there, are refused too.
func ValidateRoomID(id string) error {
	switch {
	case id == "":
		return Errorf(EInvalid, "roomId must not be empty.")
	case id == "." || id == "..":
		return Errorf(EInvalid, "roomId must not be %q: in the room's URL it would name another path.", id)
	case len(id) > MaxRoomIDBytes:
		return Errorf(EInvalid, "roomId is %d bytes; at most %d are allowed.", len(id), MaxRoomIDBytes)
	case !printableASCII(id):
		return Errorf(EInvalid, "roomId must be printable ASCII.")
	case strings.HasPrefix(id, ReservedRoomIDPrefix):
		return Errorf(EInvalid, "roomId must not start with %q, the prefix of the IDs IM assigns.", ReservedRoomIDPrefix)
	}
	return nil
}

// ValidateTitle checks a room title: 1 to 30 bytes of UTF-8 without control characters.
func ValidateTitle(title string) error {
	if strings.TrimSpace(title) == "" {
		return Errorf(EInvalid, "title must not be empty.")
	}
	return checkText("title", title, MaxTitleBytes, false)
}

// ValidateIntroduction checks a room introduction: at most 240 bytes of UTF-8.
func ValidateIntroduction(s string) error {
	return checkText("introduction", s, MaxIntroductionBytes, true)
}

// ValidateNotice checks a room notice (the group Notification): at most 300 bytes of UTF-8.
// Line breaks are allowed; the empty notice clears it.
func ValidateNotice(s string) error {
	return checkText("notice", s, MaxNoticeBytes, true)
}

// ValidateSchedule checks a planned start and end: when both are given, the end comes after the
// start.
func ValidateSchedule(start, end *time.Time) error {
	if start != nil && end != nil && !end.After(*start) {
		return Errorf(EInvalid, "scheduledEndAt must be after scheduledStartAt.")
	}
	return nil
}

// checkText checks that s is valid UTF-8 of at most max bytes, without control characters other
// than line breaks and tabs when multiline is set.
func checkText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return Errorf(EInvalid, "%s is not valid UTF-8.", field)
	}
	if len(s) > max {
		return Errorf(EInvalid, "%s is %d bytes; at most %d are allowed.", field, len(s), max)
	}
	for _, c := range s {
		if unicode.IsControl(c) && !(multiline && (c == '\n' || c == '\r' || c == '\t')) {
			return Errorf(EInvalid, "%s must not contain control characters.", field)
		}
	}
	return nil
}

// checkName checks a name: valid UTF-8, not blank, at most max characters and without control
// characters.
func checkName(name string, max int) error {
	switch {
	case !utf8.ValidString(name):
		return Errorf(EInvalid, "name is not valid UTF-8.")
	case strings.TrimSpace(name) == "":
		return Errorf(EInvalid, "name must not be empty.")
	case utf8.RuneCountInString(name) > max:
		return Errorf(EInvalid, "name is %d characters; at most %d are allowed.", utf8.RuneCountInString(name), max)
	}
	return checkText("name", name, len(name), false)
}

// Product is what a merchant pins in a room: the group custom field ADD_GOODS carries it, encoded
// by FieldValue, to every viewer.
//
// Prices are decimal strings in the currency's major unit ("1999", "19.99"), never negative,
// with at most 15 digits before the point and 4 after it. Decimal strings were chosen over
// integer minor units because viewers' apps show them as they are, without a table of each
// currency's minor unit. A JSON number is accepted too and kept as written.
type Product struct {
	ProductID string  `json:"productId"`
	Name      string  `json:"name"`
	Price     Decimal `json:"price"`
	// Currency is an ISO 4217 code: three upper-case letters such as JPY or USD.
	Currency string `json:"currency"`
	ImageURL string `json:"imageUrl,omitempty"`
	URL      string `json:"url,omitempty"`
	// Stock is how many are left; absent when the merchant does not say.
	Stock *int64 `json:"stock,omitempty"`
	// SalePrice is a reduced price, at most Price, valid until SaleEndsAt when that is set.
	SalePrice  Decimal    `json:"salePrice,omitempty"`
	SaleEndsAt *time.Time `json:"saleEndsAt,omitempty"`
}

// checkASCIIID reports an EInvalid error naming field when id is not 1 to max bytes of
// printable ASCII.
func checkASCIIID(field, id string, max int) error {
	switch {
	case id == "":
		return Errorf(EInvalid, "%s must not be empty.", field)
	case len(id) > max:
		return Errorf(EInvalid, "%s is %d bytes; at most %d are allowed.", field, len(id), max)
	case !printableASCII(id):
		return Errorf(EInvalid, "%s must be printable ASCII.", field)
	}
	return nil
}

// Validate reports the first problem of p, as an EInvalid error.
func (p Product) Validate() error {
	if err := checkASCIIID("productId", p.ProductID, MaxProductIDBytes); err != nil {
		return err
	}
	if err := checkName(p.Name, MaxProductNameRunes); err != nil {
		return err
	}
	if err := p.Price.check("price"); err != nil {
		return err
	}
	if !isCurrencyCode(p.Currency) {
		return Errorf(EInvalid, "currency %q is not an ISO 4217 code of three upper-case letters, such as JPY.", truncate(p.Currency, 10))
	}
	if err := checkWebURL("imageUrl", p.ImageURL); err != nil {
		return err
	}
	if err := checkWebURL("url", p.URL); err != nil {
		return err
	}
	if p.Stock != nil && *p.Stock < 0 {
		return Errorf(EInvalid, "stock must not be negative.")
	}
	if p.SalePrice != "" {
		if err := p.SalePrice.check("salePrice"); err != nil {
			return err
		}
		if cmpDecimal(string(p.SalePrice), string(p.Price)) > 0 {
			return Errorf(EInvalid, "salePrice must not exceed price.")
		}
	} else if p.SaleEndsAt != nil {
		return Errorf(EInvalid, "saleEndsAt needs a salePrice.")
	}
	return nil
}

// FieldValue returns p as the compact JSON the current-product group field carries: the field
// names of the API, optional fields left out, no insignificant space and no HTML escaping. A
// value over MaxProductFieldBytes is refused with EUnprocessable, saying by how many bytes; it
// is never truncated.
func (p Product) FieldValue() (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return "", err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	if len(b) > MaxProductFieldBytes {
		return "", Errorf(EUnprocessable, "The product encodes to %d bytes, %d more than the %d a room's product field holds; shorten its name or URLs.",
			len(b), len(b)-MaxProductFieldBytes, MaxProductFieldBytes)
	}
	return string(b), nil
}

// Decimal is a non-negative decimal amount written as a string of digits with an optional
// fraction, such as "1999" or "19.99". It decodes from a JSON string or a JSON number, keeping
// the text as written, and encodes as a JSON string.
type Decimal string

// UnmarshalJSON accepts a JSON string or number and keeps its text; Product.Validate checks it.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Decimal(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("an amount must be a decimal string such as \"19.99\" or a number")
	}
	*d = Decimal(n)
	return nil
}

// check reports whether d is a well-formed non-negative amount.
func (d Decimal) check(field string) error {
	s := string(d)
	if s == "" {
		return Errorf(EInvalid, "%s is required, as a decimal string such as \"19.99\".", field)
	}
	if s[0] == '-' {
		return Errorf(EInvalid, "%s must not be negative.", field)
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	ok := whole != "" && len(whole) <= 15 && digits(whole) && (len(whole) == 1 || whole[0] != '0') &&
		(!hasPoint || (frac != "" && len(frac) <= 4 && digits(frac)))
	if !ok {
		return Errorf(EInvalid, "%s %q is not a decimal amount such as \"19.99\" (up to 15 digits, 4 after the point).", field, truncate(s, 24))
	}
	return nil
}

// cmpDecimal compares two well-formed amounts.
func cmpDecimal(a, b string) int {
	aw, af, _ := strings.Cut(a, ".")
	bw, bf, _ := strings.Cut(b, ".")
	if len(aw) != len(bw) {
		if len(aw) < len(bw) {
			return -1
		}
		return 1
	}
	for len(af) < len(bf) {
		af += "0"
	}
	for len(bf) < len(af) {
		bf += "0"
	}
	return strings.Compare(aw+af, bw+bf)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// checkWebURL accepts "" or an absolute http or https URL with a host, of at most MaxURLBytes.
func checkWebURL(field, s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxURLBytes {
		return Errorf(EInvalid, "%s is %d bytes; at most %d are allowed.", field, len(s), MaxURLBytes)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !printableASCII(s) {
		return Errorf(EInvalid, "%s must be an absolute http or https URL.", field)
	}
	return nil
}

// StreamName derives the live stream's name from a room ID: the ID with every byte outside
// [A-Za-z0-9_-] replaced by '_' and cut to 32 bytes, then '_' and 12 hex digits of the ID's
// SHA-256. The result is deterministic, safe in push and play URLs, and distinct for distinct
// IDs even when their sanitized forms coincide ("a b" and "a_b").
func StreamName(roomID string) string {
	const keep = 32
	var b strings.Builder
	for i := 0; i < len(roomID) && b.Len() < keep; i++ {
		c := roomID[i]
		if c == '_' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	sum := sha256.Sum256([]byte(roomID))
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(sum[:6]))
	return b.String()
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence, for quoting caller
// input in messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
