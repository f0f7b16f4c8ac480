package compose

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/uriba-live/uriba/shared/moderation"
)

// Moderator compiles the word list in path (MODERATION_WORDS_FILE), or the built-in list when
// path is empty. Skipped lines are logged; a list without a banned word is an error.
func Moderator(path string, logger *slog.Logger) (*moderation.Matcher, error) {
	if path == "" {
		logger.Info("MODERATION_WORDS_FILE is not set: moderating with the built-in word list")
		return moderation.Compile(moderation.DefaultWordList()), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("MODERATION_WORDS_FILE: %w", err)
	}
	defer f.Close()
	words, report, err := moderation.ParseWordList(f)
	if errors.Is(err, moderation.ErrEmptyList) {
		return nil, fmt.Errorf("MODERATION_WORDS_FILE %s holds no banned word", path)
	}
	if err != nil {
		return nil, fmt.Errorf("MODERATION_WORDS_FILE: %w", err)
	}
	if len(report.Invalid) > 0 || len(report.Unusable) > 0 {
		logger.Warn("word list lines skipped", "file", path, "not_utf8", report.Invalid, "unusable", report.Unusable)
	}
	logger.Info("word list loaded", "file", path, "words", report.Words, "allow", report.Allow)
	return moderation.Compile(words), nil
}
