package imcallback

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/uriba-live/uriba/shared/tim"
)

// Reply codes of a refused BeforeSendMsg. IM hands codes from 10100 to 10200, with ErrorInfo, to
// the sender.
const (
	// CodeModerated refuses a message with a banned word (reject mode).
	CodeModerated = 10101
	// CodeServerOnly refuses a custom message whose event only the server may send.
	CodeServerOnly = 10102
)

// What the sender of a refused message reads.
const (
	InfoModerated  = "The message contains words that are not allowed in this room."
	InfoServerOnly = "This kind of message can only be sent by the server."
)

// codeRefused is the ErrorCode of a FAIL reply to a request the handler did not accept.
const codeRefused = 1

// Replies that never change, encoded once.
var (
	replyOK         = mustReply(tim.OK)
	replyDiscard    = mustReply(tim.Reply{ActionStatus: tim.StatusOK, ErrorCode: tim.CallbackDiscard})
	replyModerated  = mustReply(tim.Reply{ActionStatus: tim.StatusOK, ErrorCode: CodeModerated, ErrorInfo: InfoModerated})
	replyServerOnly = mustReply(tim.Reply{ActionStatus: tim.StatusOK, ErrorCode: CodeServerOnly, ErrorInfo: InfoServerOnly})
	replyAmbiguous  = mustReply(tim.Reply{ActionStatus: tim.StatusOK, ErrorCode: tim.CallbackReject, ErrorInfo: "The message has two values for one field."})

	replyWrongApp   = failReply("The callback names another SdkAppid.")
	replyUnsigned   = failReply("The callback is not signed.")
	replyStale      = failReply("The callback's RequestTime is outside the accepted window.")
	replyBadSign    = failReply("The callback's Sign does not match.")
	replyMethod     = failReply("IM callbacks are POST requests.")
	replyTooLarge   = failReply("The callback body is too large.")
	replyUnreadable = failReply("The callback body could not be read.")
	replyMalformed  = failReply("The callback body is not the JSON this command expects.")
)

// ambiguous refuses a BeforeSendMsg whose body has two keys for one field. Other readers may take
// the other value, so passing the message could deliver what the checks never saw. The refusal
// is a well-formed reply with HTTP 200: IM may deliver a message whose callback failed.
func (h *Handler) ambiguous(ctx context.Context) []byte {
	h.m.rejected.Add(1)
	if h.log.Enabled(ctx, slog.LevelWarn) {
		h.log.WarnContext(ctx, "IM callback body has duplicate keys; message refused")
	}
	return replyAmbiguous
}

func mustReply(r tim.Reply) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return b
}

func failReply(info string) []byte {
	return mustReply(tim.Reply{ActionStatus: tim.StatusFail, ErrorCode: codeRefused, ErrorInfo: info})
}

// jsonContentType is shared by every reply's header; net/http never modifies it.
var jsonContentType = []string{"application/json"}

// writeReply writes an encoded reply with its status.
func writeReply(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// maskedReply encodes a pass reply whose MsgBody replaces the message's, with the masked elements
// in place of the originals and every other element as IM sent it.
func maskedReply(body []tim.MsgElem, repl []replacement) ([]byte, error) {
	out := make([]tim.MsgElem, len(body))
	copy(out, body)
	for i := range out {
		if len(out[i].MsgContent) == 0 {
			out[i].MsgContent = nil // absent in the callback: encoded as null
		}
	}
	for _, r := range repl {
		out[r.index].MsgContent = r.content
	}
	return json.Marshal(tim.BeforeSendMsgReply{Reply: tim.OK, MsgBody: out})
}
