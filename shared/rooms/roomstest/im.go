package roomstest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/tim"
)

// Names of the IM calls CountingIM records. Each is one IM REST call.
const (
	CallImport       = "account_import"
	CallCreate       = "create_group"
	CallDestroy      = "destroy_group"
	CallField        = "set_field"        // recorded as "set_field KEY"
	CallNotification = "set_notification" // modify_group_base_info with Notification alone
)

// CountingIM wraps a rooms.IM, records every call it passes on, and fails the calls a test asks
// it to fail (without passing them on).
type CountingIM struct {
	Inner rooms.IM

	mu    sync.Mutex
	calls []string
	fail  map[string]error
}

var _ rooms.IM = (*CountingIM)(nil)

// Calls returns the calls made since the last Reset, in order. A failed call is recorded too.
func (c *CountingIM) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// Reset forgets the recorded calls.
func (c *CountingIM) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
}

// FailWith makes every later call named call (such as CallCreate or "set_field room_status")
// fail with err, until it is cleared with a nil err.
func (c *CountingIM) FailWith(call string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail == nil {
		c.fail = make(map[string]error)
	}
	if err == nil {
		delete(c.fail, call)
		return
	}
	c.fail[call] = err
}

func (c *CountingIM) record(call string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
	return c.fail[call]
}

// RetryBudget implements rooms.IM with the budget of the wrapped client.
func (c *CountingIM) RetryBudget() time.Duration { return c.Inner.RetryBudget() }

// AccountImport implements rooms.IM.
func (c *CountingIM) AccountImport(ctx context.Context, req tim.AccountImportRequest) error {
	if err := c.record(CallImport); err != nil {
		return err
	}
	return c.Inner.AccountImport(ctx, req)
}

// CreateGroup implements rooms.IM.
func (c *CountingIM) CreateGroup(ctx context.Context, req tim.CreateGroupRequest) (string, error) {
	if err := c.record(CallCreate); err != nil {
		return "", err
	}
	return c.Inner.CreateGroup(ctx, req)
}

// DestroyGroup implements rooms.IM.
func (c *CountingIM) DestroyGroup(ctx context.Context, groupID string) error {
	if err := c.record(CallDestroy); err != nil {
		return err
	}
	return c.Inner.DestroyGroup(ctx, groupID)
}

// SetGroupField implements rooms.IM.
func (c *CountingIM) SetGroupField(ctx context.Context, groupID, key, value string) error {
	if err := c.record(CallField + " " + key); err != nil {
		return err
	}
	return c.Inner.SetGroupField(ctx, groupID, key, value)
}

// SetGroupNotification implements rooms.IM.
func (c *CountingIM) SetGroupNotification(ctx context.Context, groupID, text string) error {
	if err := c.record(CallNotification); err != nil {
		return err
	}
	return c.Inner.SetGroupNotification(ctx, groupID, text)
}
