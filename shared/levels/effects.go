package levels

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/msgbudget"
	"github.com/uriba-live/uriba/shared/tim"
)

// Announcer carries out the effects of a level-up. Both methods may be called again for the same
// user and level (after a crash, or when the record of the announcement could not be written),
// so they must be idempotent or harmless when repeated.
//
// An error that matches ErrUndeliverable (errors.Is) means the effect can never succeed, for
// example because the account or the room does not exist: the effect is given up. Any other error
// makes Apply report the user's activities as failed, so that their redelivery retries it.
type Announcer interface {
	// SetLevel records level in the user's profile.
	SetLevel(ctx context.Context, userID string, level int) error
	// AnnounceLevelUp tells the room that the user reached level.
	AnnounceLevelUp(ctx context.Context, roomID, userID string, level int) error
}

// CodeUndeliverable is the stable code of ErrUndeliverable.
const CodeUndeliverable = "level_effect_undeliverable"

// ErrUndeliverable marks a level-up effect that can never succeed.
var ErrUndeliverable = &live.Error{Code: CodeUndeliverable, Message: "The level-up cannot be delivered."}

// LevelUpEvent is the Data of the custom message that announces a level-up.
const LevelUpEvent = live.EventLevelUp

// LevelUp is the Ext of a LEVEL_UP message, as JSON.
type LevelUp struct {
	UserID string `json:"userId"`
	Level  int    `json:"level"`
	RoomID string `json:"roomId"`
}

// IM carries out level-up effects through Tencent IM: the built-in profile field
// Tag_Profile_IM_Level, and a LEVEL_UP custom message sent to the room by the admin at Low
// priority. The message's Random is derived from the user and the level, so IM discards a repeat
// sent within 5 minutes of the first.
type IM struct {
	Client *tim.Client
}

var _ Announcer = IM{}

// SetLevel implements Announcer with profile/portrait_set.
func (a IM) SetLevel(ctx context.Context, userID string, level int) error {
	err := a.Client.PortraitSet(ctx, tim.PortraitSetRequest{
		FromAccount: userID,
		ProfileItem: []tim.ProfileItem{tim.IntProfileItem(tim.TagLevel, int64(level))},
	})
	return undeliverable(err)
}

// AnnounceLevelUp implements Announcer with group_open_http_svc/send_group_msg.
func (a IM) AnnounceLevelUp(ctx context.Context, roomID, userID string, level int) error {
	ext, err := json.Marshal(LevelUp{UserID: userID, Level: level, RoomID: roomID})
	if err != nil {
		return err
	}
	_, err = a.Client.SendGroupMsg(ctx, tim.SendGroupMsgRequest{
		GroupID:     roomID,
		Random:      LevelUpRandom(userID, level),
		MsgBody:     []tim.MsgElem{tim.CustomElem(LevelUpEvent, string(ext))},
		MsgPriority: tim.PriorityLow,
	})
	return undeliverable(err)
}

// undeliverable marks IM failures that repeating cannot fix: an unknown account or group, or a
// request IM refuses as invalid. Rate limits, outages, refused admin credentials and other
// refusals stay retryable, so that a misconfiguration delays effects instead of losing them.
func undeliverable(err error) error {
	if err == nil {
		return nil
	}
	if kind, ok := tim.KindOf(err); ok && (kind == tim.KindNotFound || kind == tim.KindInvalid) {
		return fmt.Errorf("%w: %w", ErrUndeliverable, err)
	}
	return err
}

// LevelUpRandom returns the send_group_msg Random of the announcement of userID reaching level:
// the same for every attempt, never 0.
func LevelUpRandom(userID string, level int) uint32 {
	sum := sha256.Sum256([]byte("LEVEL_UP\x00" + userID + "\x00" + strconv.Itoa(level)))
	return binary.LittleEndian.Uint32(sum[:4]) | 1
}

// DefaultLevelUpsPerSecond is RoomBudget's default: the level-ups a room announces in a second.
const DefaultLevelUpsPerSecond = 5

// RoomBudget announces at most PerSecond level-ups in each room and second, counted in the store
// so that every instance shares the count, and passes the rest of its calls to Announcer. Past it
// a level-up is not announced in the room; the profile still gets the level. A gift storm raises
// many viewers at once, and their LEVEL_UP messages, a prompt at Low priority, would otherwise fill
// the room's 40 messages a second, which IM keeps by dropping messages, the viewers' chat and
// gifts among them.
type RoomBudget struct {
	Announcer
	Counters msgbudget.Counters
	// PerSecond is the budget; DefaultLevelUpsPerSecond when zero.
	PerSecond int
	// Now tells the time; time.Now when nil.
	Now func() time.Time
}

// AnnounceLevelUp implements Announcer within the room's budget.
func (b RoomBudget) AnnounceLevelUp(ctx context.Context, roomID, userID string, level int) error {
	now, limit := b.Now, b.PerSecond
	if now == nil {
		now = time.Now
	}
	if limit <= 0 {
		limit = DefaultLevelUpsPerSecond
	}
	n, err := msgbudget.Budget{Counters: b.Counters, Prefix: "levelupmsg#"}.Take(ctx, roomID, now().Unix())
	if err != nil {
		return err
	}
	if n > int64(limit) {
		return nil
	}
	return b.Announcer.AnnounceLevelUp(ctx, roomID, userID, level)
}
