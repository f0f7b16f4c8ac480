package function

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/credential"
	"github.com/uriba-live/uriba/shared/css"
	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/moderation"
	"github.com/uriba-live/uriba/shared/queue"
	queueconf "github.com/uriba-live/uriba/shared/queue/configured"
	"github.com/uriba-live/uriba/shared/rooms"
	"github.com/uriba-live/uriba/shared/store"
	storeconf "github.com/uriba-live/uriba/shared/store/configured"
	"github.com/uriba-live/uriba/shared/streams"
	"github.com/uriba-live/uriba/shared/tim"
)

// IMClient returns deps.IM when it is set, and otherwise a Tencent IM REST client for the
// configured app.
func IMClient(c config.IM, deps Deps) (*tim.Client, error) {
	if deps.IM != nil {
		return deps.IM, nil
	}
	return NewIMClient(c, deps.Logger)
}

// NewIMClient returns a Tencent IM REST client for the configured app.
func NewIMClient(c config.IM, logger *slog.Logger) (*tim.Client, error) {
	return tim.NewClient(tim.ClientConfig{
		SDKAppID:  c.SDKAppID,
		SecretKey: c.SecretKey.Reveal(),
		Admin:     c.Admin,
		BaseURL:   c.BaseURL,
		Region:    c.Region,
		Logger:    logger,
	})
}

// OpenStore returns deps.Store when it is set, and otherwise opens the configured store; the
// release function closes what was opened.
func OpenStore(ctx context.Context, c config.Store, deps Deps) (store.KV, func(), error) {
	if deps.Store != nil {
		return deps.Store, func() {}, nil
	}
	kv, err := storeconf.Open(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	return kv, func() {
		if err := kv.Close(); err != nil {
			deps.Logger.Warn("closing the store failed", "err", err)
		}
	}, nil
}

// OpenActivities returns deps.Activities when it is set, and otherwise opens the configured
// activity queue; the release function drains and closes what was opened.
func OpenActivities(ctx context.Context, c config.ActivityQueue, deps Deps) (queue.Publisher, func(), error) {
	if deps.Activities != nil {
		return deps.Activities, func() {}, nil
	}
	p, err := queueconf.Open(ctx, c, deps.Logger)
	if err != nil {
		return nil, nil, err
	}
	return p, func() { _ = p.Close() }, nil
}

// Issuer returns the UserSig issuer of the configured app, importing accounts through im.
func Issuer(c config.IM, im *tim.Client) *credential.Issuer {
	return &credential.Issuer{
		SDKAppID: c.SDKAppID,
		Admin:    c.Admin,
		Accounts: accountImporter{im},
		Signer:   userSigner{appID: c.SDKAppID, key: c.SecretKey},
	}
}

type accountImporter struct{ im *tim.Client }

func (a accountImporter) ImportAccount(ctx context.Context, userID string, p credential.Profile) error {
	return a.im.AccountImport(ctx, tim.AccountImportRequest{UserID: userID, Nick: p.Nick, FaceURL: p.Avatar})
}

type userSigner struct {
	appID int
	key   config.Secret
}

func (s userSigner) Sign(userID string, ttl time.Duration) (string, time.Time, error) {
	return tim.GenUserSig(s.appID, s.key.Reveal(), userID, ttl)
}

// Moderator returns the matcher of the configured word list, or of the built-in list when
// c.Builtin is set. When the list's compiled form (the file's path with
// moderation.CompiledSuffix, which scripts/build writes) is there and was made from the list's
// current text by this version, it is loaded, which takes a few milliseconds; otherwise the list
// is compiled from its text, which takes tens of milliseconds for a large list, and the reason is
// logged. Skipped lines are logged; a list without a banned word is an error.
func Moderator(c config.WordList, logger *slog.Logger) (*moderation.Matcher, error) {
	if c.Builtin {
		logger.Info("moderating with the built-in word list")
		return moderation.Compile(moderation.DefaultWordList()), nil
	}
	src, err := os.ReadFile(c.File)
	if err != nil {
		return nil, fmt.Errorf("MODERATION_WORDS_FILE: %w", err)
	}
	compiled := c.File + moderation.CompiledSuffix
	data, err := os.ReadFile(compiled)
	switch {
	case err == nil:
		m, report, err := moderation.LoadCompiled(data, src)
		if err == nil {
			logSkipped(logger, c.File, report)
			logger.Info("word list loaded", "file", c.File, "compiled", compiled, "words", report.Words, "allow", report.Allow)
			return m, nil
		}
		logger.Warn("the compiled word list cannot be used: compiling the word list", "file", c.File, "compiled", compiled, "err", err)
	case errors.Is(err, fs.ErrNotExist):
		logger.Info("no compiled word list: compiling the word list", "file", c.File, "compiled", compiled)
	default:
		logger.Warn("the compiled word list cannot be read: compiling the word list", "file", c.File, "err", err)
	}
	start := time.Now()
	words, report, err := moderation.ParseWordList(bytes.NewReader(src))
	if errors.Is(err, moderation.ErrEmptyList) {
		return nil, fmt.Errorf("MODERATION_WORDS_FILE %s holds no banned word", c.File)
	}
	if err != nil {
		return nil, fmt.Errorf("MODERATION_WORDS_FILE: %w", err)
	}
	logSkipped(logger, c.File, report)
	m := moderation.Compile(words)
	logger.Info("word list loaded", "file", c.File, "words", report.Words, "allow", report.Allow, "compile_time", time.Since(start))
	return m, nil
}

// logSkipped logs the lines of a word list that were skipped, if any.
func logSkipped(logger *slog.Logger, file string, report moderation.ParseReport) {
	if len(report.Invalid) > 0 || len(report.Unusable) > 0 {
		logger.Warn("word list lines skipped", "file", file, "not_utf8", report.Invalid, "unusable", report.Unusable)
	}
}

// Viewers authenticates viewers by the UserSigs of the configured app.
func Viewers(c config.IM) httpapi.Viewers {
	return httpapi.Viewers{
		Verify: func(userID, userSig string, now time.Time) error {
			return tim.VerifyUserSig(c.SDKAppID, c.SecretKey.Reveal(), userID, userSig, now)
		},
		Admin: c.Admin,
	}
}

// StreamAPI returns a client of the live streaming Cloud API with the configured access.
func StreamAPI(c config.CloudAPI) (*css.API, error) {
	return css.NewAPI(css.APIConfig{SecretID: c.SecretID, SecretKey: c.SecretKey.Reveal(), Token: c.Token.Reveal(), Region: c.Region, BaseURL: c.BaseURL})
}

// Streams returns the streams service over the rooms service rs, with the configured streaming
// settings; api and im may be nil for a service that does not end rooms.
func Streams(c config.Streaming, rs *rooms.Service, kv store.KV, api *css.API, im *tim.Client, logger *slog.Logger) (*streams.Service, error) {
	var cloud streams.Cloud
	if api != nil {
		cloud = api
	}
	var messenger streams.IM
	if im != nil {
		messenger = im
	}
	return streams.New(rs, kv, cloud, messenger, streams.Config{
		Domains: css.Domains{PushDomain: c.PushDomain, PushKey: c.PushKey.Reveal(), PlayDomain: c.PlayDomain,
			PlayKey: c.PlayKey.Reveal(), App: c.App},
		CallbackKey: c.CallbackKey.Reveal(), URLTTL: c.URLTTL, Grace: c.URLGrace, IdleTimeout: c.IdleTimeout,
		ForbidFor: c.ForbidFor, MaxPerRun: c.MaxRoomsPerRun, DestroyGroupAfter: c.DestroyGroupAfter,
		EndOnDropFailure: c.EndOnDropFailure, Logger: logger,
	})
}
