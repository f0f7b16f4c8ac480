package imcallback

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/tim"
)

// ModerationMode says what happens to a message that contains a banned word.
type ModerationMode string

// Moderation modes.
const (
	// ModerationReject refuses the message with CodeModerated; the sender sees the error.
	ModerationReject ModerationMode = "reject"
	// ModerationMask delivers the message with every banned word replaced by '*'.
	ModerationMask ModerationMode = "mask"
	// ModerationDrop discards the message; the sender believes it was delivered.
	ModerationDrop ModerationMode = "drop"
)

// Defaults of Config.
const (
	DefaultLikeEvent          = live.EventLike
	DefaultIOBudget           = 100 * time.Millisecond
	DefaultMaxBody            = 64 << 10
	DefaultMaxLikesPerMessage = 100
	// MaxIOBudget is the largest IOBudget allowed: well below IM's 2 s callback timeout, so
	// that the reply always reaches IM before it gives up.
	MaxIOBudget = 1500 * time.Millisecond
)

// DefaultServerOnlyEvents are the custom message events only the server may send.
var DefaultServerOnlyEvents = live.ServerEvents()

// Config configures a Handler. Zero values take the defaults above.
type Config struct {
	// SDKAppID is the IM app whose callbacks are accepted. It is required.
	SDKAppID int
	// Verifier checks each callback's query. Its SDKAppID defaults to SDKAppID; with a Token,
	// unsigned callbacks are refused; its Window defaults to tim.DefaultCallbackWindow.
	Verifier tim.CallbackVerifier
	// Admin is the app admin account. Messages sent by it, or through the REST API by it on
	// behalf of another account (Operator_Account), may carry server-only events.
	Admin string
	// ServerOnlyEvents are custom message events (TIMCustomElem Data) that clients may not send.
	// Nil means DefaultServerOnlyEvents; an empty non-nil list turns the guard off.
	ServerOnlyEvents []string
	// LikeEvent is the custom message event of a like.
	LikeEvent string
	// AbsorbLikes answers like-only messages with ErrorCode 2 after counting them, so that they
	// are not delivered and do not use the group's 40 messages per second; by default they pass.
	AbsorbLikes bool
	// MaxLikesPerMessage caps the count one like message may carry in its Ext.
	MaxLikesPerMessage int64
	// ModerationMode applies to messages with a banned word; the default is ModerationReject.
	ModerationMode ModerationMode
	// ModerateCustom checks the Desc and Ext of custom elements as well as text elements.
	ModerateCustom bool
	// IOBudget is the longest a reply waits for the store or the queue. Past it the callback
	// is answered as if the I/O had succeeded.
	IOBudget time.Duration
	// MaxBody is the largest callback body read, in bytes.
	MaxBody int64
}

// String describes the configuration without the callback token.
func (c Config) String() string {
	token := ""
	if c.Verifier.Token != "" {
		token = "[redacted]"
	}
	return fmt.Sprintf("imcallback.Config{SDKAppID:%d Token:%s Admin:%q ServerOnlyEvents:%q LikeEvent:%q AbsorbLikes:%t "+
		"MaxLikesPerMessage:%d ModerationMode:%q ModerateCustom:%t IOBudget:%s MaxBody:%d}",
		c.SDKAppID, token, c.Admin, c.ServerOnlyEvents, c.LikeEvent, c.AbsorbLikes, c.MaxLikesPerMessage,
		c.ModerationMode, c.ModerateCustom, c.IOBudget, c.MaxBody)
}

// GoString is String, so that %#v does not print the token either.
func (c Config) GoString() string { return c.String() }

// LogValue logs the configuration without the callback token.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("sdkappid", c.SDKAppID),
		slog.Bool("signed", c.Verifier.Token != ""),
		slog.String("admin", c.Admin),
		slog.Any("server_only_events", c.ServerOnlyEvents),
		slog.String("like_event", c.LikeEvent),
		slog.Bool("absorb_likes", c.AbsorbLikes),
		slog.String("moderation_mode", string(c.ModerationMode)),
		slog.Bool("moderate_custom", c.ModerateCustom),
		slog.Duration("io_budget", c.IOBudget),
	)
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.Verifier.SDKAppID == 0 {
		c.Verifier.SDKAppID = c.SDKAppID
	}
	if c.SDKAppID == 0 {
		c.SDKAppID = c.Verifier.SDKAppID
	}
	if c.ServerOnlyEvents == nil {
		c.ServerOnlyEvents = DefaultServerOnlyEvents
	}
	if c.LikeEvent == "" {
		c.LikeEvent = DefaultLikeEvent
	}
	if c.MaxLikesPerMessage == 0 {
		c.MaxLikesPerMessage = DefaultMaxLikesPerMessage
	}
	if c.ModerationMode == "" {
		c.ModerationMode = ModerationReject
	}
	if c.IOBudget == 0 {
		c.IOBudget = DefaultIOBudget
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	return c
}

// Validate reports every problem of the configuration, after defaults, in one error.
func (c Config) Validate() error {
	c = c.withDefaults()
	var problems []error
	if c.SDKAppID <= 0 {
		problems = append(problems, errors.New("SDKAppID must be positive"))
	} else if c.Verifier.SDKAppID != c.SDKAppID {
		problems = append(problems, errors.New("the Verifier's SDKAppID differs from SDKAppID"))
	}
	switch c.ModerationMode {
	case ModerationReject, ModerationMask, ModerationDrop:
	default:
		problems = append(problems, fmt.Errorf("ModerationMode %q is not reject, mask or drop", c.ModerationMode))
	}
	if c.IOBudget < 0 || c.IOBudget > MaxIOBudget {
		problems = append(problems, fmt.Errorf("IOBudget %s must be between 0 and %s", c.IOBudget, MaxIOBudget))
	}
	if c.MaxBody < 0 {
		problems = append(problems, errors.New("MaxBody must not be negative"))
	}
	if c.MaxLikesPerMessage < 0 {
		problems = append(problems, errors.New("MaxLikesPerMessage must not be negative"))
	}
	if slices.Contains(c.ServerOnlyEvents, c.LikeEvent) {
		problems = append(problems, fmt.Errorf("LikeEvent %q is also a server-only event", c.LikeEvent))
	}
	if len(c.Admin) > tim.MaxUserIDBytes {
		problems = append(problems, fmt.Errorf("the Admin account is longer than %d bytes", tim.MaxUserIDBytes))
	}
	if len(problems) > 0 {
		return fmt.Errorf("imcallback: %w", errors.Join(problems...))
	}
	return nil
}
