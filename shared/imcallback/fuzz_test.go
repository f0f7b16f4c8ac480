package imcallback

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/uriba-live/uriba/shared/roomstats"
	"github.com/uriba-live/uriba/shared/store/memstore"
	"github.com/uriba-live/uriba/shared/tim"
)

// FuzzDecodeCallback feeds arbitrary commands and bodies to the decoder and the dispatch, in every
// moderation mode. They must never panic, must always answer IM's envelope, and must never let a
// banned word through in a text that IM would deliver.
func FuzzDecodeCallback(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var c struct{ CallbackCommand string }
		_ = json.Unmarshal(body, &c)
		f.Add(c.CallbackCommand, body)
		f.Add("", body)
	}
	mod := newFakeModerator("scam", "詐欺")
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	handlers := map[ModerationMode]*Handler{}
	for _, mode := range []ModerationMode{ModerationReject, ModerationMask, ModerationDrop} {
		handlers[mode] = New(Config{SDKAppID: testAppID, Admin: testAdmin, ModerationMode: mode, ModerateCustom: true, AbsorbLikes: mode == ModerationDrop},
			Deps{Moderator: mod, Stats: roomstats.New(memstore.New(nil), 0), Publisher: &fakePublisher{}, Logger: discard})
	}
	f.Fuzz(func(t *testing.T, command string, body []byte) {
		for mode, h := range handlers {
			s := getScratch()
			status, raw := h.handle(context.Background(), command, body, s)
			putScratch(s)
			var r reply
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatalf("%s: reply %q is not JSON: %v", mode, raw, err)
			}
			switch {
			case status == http.StatusOK && r.ActionStatus == tim.StatusOK:
			case status == http.StatusBadRequest && r.ActionStatus == tim.StatusFail && r.ErrorCode != 0:
			default:
				t.Fatalf("%s: HTTP %d with %s", mode, status, raw)
			}
			if status != http.StatusOK || r.ErrorCode != 0 || !isBefore(command, body) {
				continue
			}
			// The message is delivered: as replaced, or as sent.
			delivered := r.MsgBody
			if delivered == nil {
				var msg tim.SendMsgCallback
				_ = json.Unmarshal(body, &msg)
				delivered = msg.MsgBody
			}
			var sender sendMsg
			_ = json.Unmarshal(body, &sender)
			admin := sender.FromAccount == testAdmin || sender.OperatorAccount == testAdmin
			for _, el := range delivered {
				if text, ok := el.Text(); ok && mod.Contains(text) {
					t.Fatalf("%s: %q delivered with a banned word; reply %s", mode, text, raw)
				}
				var event struct{ Data string }
				if el.MsgType == tim.ElemCustom && json.Unmarshal(el.MsgContent, &event) == nil &&
					h.isServerOnly(event.Data) && !admin {
					t.Fatalf("%s: a client's %s delivered; reply %s", mode, event.Data, raw)
				}
			}
		}
	})
}

// isBefore reports whether the handler read body as a BeforeSendMsg callback.
func isBefore(command string, body []byte) bool {
	if command == "" {
		var c commandOnly
		_ = json.Unmarshal(body, &c)
		command = c.CallbackCommand
	}
	return command == tim.CmdBeforeSendMsg
}
