package imcallback

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/tim"
)

// Field names the decoder reads, by object.
var (
	sendMsgFields = []string{"GroupId", "From_Account", "Operator_Account", "Random", "MsgSeq", "MsgTime", "EventTime", "MsgBody"}
	elemFields    = []string{"MsgType", "MsgContent"}
	contentFields = []string{"Text", "Data", "Desc", "Ext", "Sound"}
)

// hasDuplicateFields reports, with encoding/json's tokenizer, whether the valid JSON body has two
// keys for one field the decoder reads: in the callback object, in a MsgBody element or in an
// element's MsgContent object. Keys name fields as encoding/json matches them.
func hasDuplicateFields(body []byte) bool {
	var dupBody, dupElem bool
	var bodies []json.RawMessage
	dupTop := objectKeys(body, sendMsgFields, func(field string, v json.RawMessage) {
		if field == "MsgBody" {
			bodies = append(bodies, v)
		}
	})
	for _, b := range bodies {
		var elems []json.RawMessage
		if json.Unmarshal(b, &elems) != nil {
			continue
		}
		for _, el := range elems {
			dupElem = objectKeys(el, elemFields, func(field string, v json.RawMessage) {
				if field == "MsgContent" && objectKeys(v, contentFields, nil) {
					dupBody = true
				}
			}) || dupElem
		}
	}
	return dupTop || dupElem || dupBody
}

// objectKeys calls each with every member of the object raw whose key names one of fields, and
// reports whether two keys named the same field. A value that is not an object has no members.
func objectKeys(raw []byte, fields []string, each func(field string, v json.RawMessage)) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	dup := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return dup
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return dup
		}
		for _, f := range fields {
			if key == f || strings.EqualFold(key, f) {
				dup = dup || seen[f]
				seen[f] = true
				if each != nil {
					each(f, v)
				}
				break
			}
		}
	}
	return dup
}

func TestDuplicateKeysAreRefused(t *testing.T) {
	bodies := []string{
		`{"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"SEND_GIFT","Data":"LIKE"}}]}`,
		`{"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"SEND_GIFT","data":"LIKE"}}]}`,
		`{"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"DATA":"LIKE","Dat\u0061":"SEND_GIFT"}}]}`,
		`{"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"scam","Text":"hello"}}]}`,
		`{"MsgBody":[{"MsgType":"TIMTextElem","MsgType":"TIMCustomElem","MsgContent":{"Data":"SEND_GIFT"}}]}`,
		`{"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"SEND_GIFT"},"MsgContent":{"Data":"LIKE"}}]}`,
		`{"From_Account":"viewer_1","From_Account":"administrator","MsgBody":[]}`,
		`{"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"SEND_GIFT"}}],"msgbody":[]}`,
	}
	s := new(scratch)
	for _, b := range bodies {
		if err := s.decodeSendMsg([]byte(b)); !errors.Is(err, errDuplicateKey) {
			t.Errorf("%s: decoded with error %v, want errDuplicateKey", b, err)
		}
		if !hasDuplicateFields([]byte(b)) {
			t.Errorf("%s: the reference sees no duplicate", b)
		}
	}
	// Repeated keys of no field the decoder reads, and the same key in different objects, are fine.
	for _, b := range []string{
		`{"Type":"AVChatRoom","Type":"x","MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"LIKE","Foo":1,"Foo":2}}]}`,
		`{"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"LIKE"}},{"MsgType":"TIMCustomElem","MsgContent":{"Data":"LIKE"}}]}`,
		`{"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"LIKE","Ext":{"Data":1,"Data":2}}}]}`,
	} {
		if err := s.decodeSendMsg([]byte(b)); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
}

func TestForgedGiftHiddenBehindADuplicateKeyIsRefused(t *testing.T) {
	hs := newHarness(t, nil)
	for _, content := range []string{
		`{"Data":"SEND_GIFT","Data":"LIKE"}`, // read last-wins, this was a like
		`{"Data":"LIKE","Data":"SEND_GIFT"}`,
		`{"Data":"SEND_GIFT","data":"LIKE","Ext":"{}"}`,
	} {
		body := `{"CallbackCommand":"Group.CallbackBeforeSendMsg","GroupId":"room-1","From_Account":"viewer_1",` +
			`"Operator_Account":"viewer_1","Random":7,"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":` + content + `}]}`
		rec := hs.send(tim.CmdBeforeSendMsg, []byte(body))
		expectCode(t, rec, tim.CallbackReject)
	}
	if likes := hs.counts("room-1").Likes; likes != 0 {
		t.Errorf("%d likes counted from refused messages", likes)
	}
	if m := hs.h.Metrics(); m.Rejected != 3 {
		t.Errorf("metrics %+v, want 3 rejected", m)
	}
	// AfterSendMsg with an ambiguous body publishes nothing.
	body := sendMsgBody(tim.CmdAfterSendMsg, "room-1", "viewer_1", "viewer_1", 8, 5, tim.MsgElem{MsgType: tim.ElemCustom, MsgContent: json.RawMessage(`{"Data":"LIKE"}`)})
	body = bytes.Replace(body, []byte(`"MsgBody"`), []byte(`"From_Account":"viewer_2","MsgBody"`), 1)
	if rec := hs.send(tim.CmdAfterSendMsg, body); rec.Code == 200 {
		_, _ = io.Copy(io.Discard, rec.Body)
		t.Errorf("AfterSendMsg with two From_Account: HTTP %d", rec.Code)
	}
	if got := hs.pub.activities(); len(got) != 0 {
		t.Errorf("activities %+v published from an ambiguous body", got)
	}
}
