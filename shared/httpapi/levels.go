package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/uriba-live/uriba/shared/levels"
	"github.com/uriba-live/uriba/shared/live"
)

// LevelReader reads a user's standing; *levels.Updater and *levels.Repository are ones.
type LevelReader interface {
	Get(ctx context.Context, userID string) (levels.Level, error)
}

// Levels holds what the level endpoint needs.
type Levels struct {
	Reader    LevelReader
	Merchants MerchantKeys
	// Admin is the app's IM admin account, whose level nobody may ask for; live.DefaultAdmin
	// when empty.
	Admin string
}

// Register adds the level endpoint to rt:
//
//	GET /v1/users/{userId}/level  (merchant) {userId, xp, level, nextLevelXp}; a user never seen
//	                               is at level 1 with 0 XP
func (l Levels) Register(rt *Router) {
	rt.Handle("GET /v1/users/{userId}/level", l.Merchants.Require(l.get))
}

// errLevelUnreadable is what a caller learns when the store fails; the cause is logged.
var errLevelUnreadable = live.Errorf(live.EInternal, "The level could not be read; try again later.")

func (l Levels) get(w http.ResponseWriter, r *http.Request) error {
	userID := r.PathValue("userId")
	if err := live.CheckMemberID(userID, l.Admin); err != nil {
		return err
	}
	level, err := l.Reader.Get(r.Context(), userID)
	if err != nil {
		var known *live.Error
		if errors.As(err, &known) {
			return err
		}
		// Store errors name keys and backend addresses: keep them for the log only.
		return fmt.Errorf("%w: %w", errLevelUnreadable, err)
	}
	return WriteJSON(w, http.StatusOK, level)
}
