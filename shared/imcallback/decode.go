package imcallback

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"

	"github.com/uriba-live/uriba/shared/tim"
)

// sendMsg is the part of a BeforeSendMsg or AfterSendMsg body the handler reads; parseSendMsg
// fills it as encoding/json would by these tags. Random is wider than IM's u32 so that an
// out-of-range value does not hide the rest of the message.
type sendMsg struct {
	GroupID         string        `json:"GroupId"`
	FromAccount     string        `json:"From_Account"`
	OperatorAccount string        `json:"Operator_Account"`
	Random          uint64        `json:"Random"`
	MsgSeq          uint64        `json:"MsgSeq"`
	MsgTime         int64         `json:"MsgTime"`
	EventTime       int64         `json:"EventTime"`
	MsgBody         []tim.MsgElem `json:"MsgBody"`
}

// membership is the part of an AfterNewMemberJoin or AfterMemberExit body the handler reads.
type membership struct {
	GroupID        string       `json:"GroupId"`
	NewMemberList  []tim.Member `json:"NewMemberList"`
	ExitMemberList []tim.Member `json:"ExitMemberList"`
	EventTime      int64        `json:"EventTime"`
}

// stateChange is the part of a State.StateChange body the handler logs.
type stateChange struct {
	Info struct {
		Action    string `json:"Action"`
		ToAccount string `json:"To_Account"`
		Reason    string `json:"Reason"`
	} `json:"Info"`
}

// commandOnly reads the command from a body whose query did not name it.
type commandOnly struct {
	CallbackCommand string `json:"CallbackCommand"`
}

// replacement is a masked element of a message.
type replacement struct {
	index   int
	content []byte
}

// scratch holds everything one callback reads. Scratches are pooled, so that a callback reuses the
// body buffer, the query values and the element and member slices of an earlier one.
type scratch struct {
	body    []byte
	msg     sendMsg
	members membership
	content content
	like    likeExt
	repl    []replacement
	query   url.Values
	params  [3][1]string
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledBody bounds the body buffer a scratch keeps when it returns to the pool.
const maxPooledBody = 256 << 10

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(s *scratch) {
	if cap(s.body) > maxPooledBody {
		s.body = nil
	}
	scratchPool.Put(s)
}

// parseQuery reads the callback's query: the command, and the parameters the Verifier checks
// (SdkAppid, Sign, RequestTime) as url.Values that the scratch reuses. The first occurrence of a
// parameter counts, as with url.Values.Get; one whose escapes are malformed is left out.
func (s *scratch) parseQuery(raw string) (q url.Values, command string) {
	if s.query == nil {
		s.query = make(url.Values, len(s.params))
	}
	clear(s.query)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		key, value, _ := strings.Cut(pair, "=")
		slot := -1
		switch key {
		case "SdkAppid":
			slot = 0
		case "Sign":
			slot = 1
		case "RequestTime":
			slot = 2
		case "CallbackCommand":
		default:
			continue
		}
		if strings.ContainsAny(value, "%+") {
			v, err := url.QueryUnescape(value)
			if err != nil {
				continue
			}
			value = v
		}
		if slot < 0 {
			if command == "" {
				command = value
			}
			continue
		}
		if _, seen := s.query[key]; !seen {
			s.params[slot][0] = value
			s.query[key] = s.params[slot][:]
		}
	}
	return s.query, command
}

// decodeSendMsg decodes body into s.msg, reusing its buffers; the element contents point into
// body. A value of the wrong type for a field leaves that field at its zero value and is not an
// error: the rest of the message still gets checked. Syntax errors are errors.
func (s *scratch) decodeSendMsg(body []byte) error {
	elems := s.msg.MsgBody[:cap(s.msg.MsgBody)]
	for i := range elems {
		// The decoder, like encoding/json, decodes into the elements it finds in the backing
		// array without zeroing them: what an earlier callback left there must go.
		elems[i] = tim.MsgElem{}
	}
	s.msg = sendMsg{MsgBody: elems[:0]}
	return parseSendMsg(body, &s.msg)
}

// decodeMembers decodes body into s.members, reusing its buffers.
func (s *scratch) decodeMembers(body []byte) error {
	s.members = membership{NewMemberList: s.members.NewMemberList[:0], ExitMemberList: s.members.ExitMemberList[:0]}
	clear(s.members.NewMemberList[:cap(s.members.NewMemberList)])
	clear(s.members.ExitMemberList[:cap(s.members.ExitMemberList)])
	return tolerant(json.Unmarshal(body, &s.members))
}

// tolerant drops type errors, which leave single fields at their zero value.
func tolerant(err error) error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return nil
	}
	return err
}

// textOf decodes a text element's content. ok is false when the content is not a text content.
func (s *scratch) textOf(el *tim.MsgElem) (text string, ok bool) {
	bad, ok := parseContent(el.MsgContent, &s.content)
	if !ok || bad&badText != 0 {
		return "", false
	}
	return s.content.Text, true
}

// customOf decodes a custom element's content into s.content. ok is false when the content is
// not a custom content.
func (s *scratch) customOf(el *tim.MsgElem) (c *tim.CustomContent, ok bool) {
	c, bad, ok := s.customParts(el)
	if !ok || bad&(badData|badDesc|badExt|badSound) != 0 {
		return nil, false
	}
	return c, true
}

// customParts decodes a custom element's content into s.content, and reports which fields had a
// value of the wrong type. ok is false when the content is neither an object nor null.
func (s *scratch) customParts(el *tim.MsgElem) (c *tim.CustomContent, bad int, ok bool) {
	bad, ok = parseContent(el.MsgContent, &s.content)
	return &s.content.CustomContent, bad, ok
}
