package imcallback

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/uriba-live/uriba/shared/tim"
)

// FuzzSendMsgDecoder checks the message decoder against encoding/json: for any body, both
// accept or both refuse it, and they read the same fields, elements and element contents, except
// that the decoder refuses a body with two keys for one field, which encoding/json reads
// last-wins. The
// decoder's buffers are reused from one input to the next, as the pool reuses them.
func FuzzSendMsgDecoder(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, seed := range decoderSeeds {
		f.Add([]byte(seed))
	}
	s := new(scratch)
	f.Fuzz(func(t *testing.T, body []byte) {
		compareWithEncodingJSON(t, s, body)
	})
}

// decoderSeeds are bodies where encoding/json's rules are easy to get wrong.
var decoderSeeds = []string{
	`{"groupid":"a","GROUPID":"b","MsgBody":[{"msgtype":"TIMTextElem","msgcontent":{"text":"x"}}]}`,
	`{"Group\u0049d":"esc","From_Account":"\ud83d\ude00\ud83d","Operator_Account":"\udc00x\u00e9\"\\\/\b\f\n\r\t"}`,
	"{\"GroupId\":\"a\xff\xfeb\xc3\",\"MsgBody\":[{\"MsgType\":\"TIMTextElem\",\"MsgContent\":{\"Text\":\"\xed\xa0\x80\xef\xbf\xbd\"}}]}",
	`{"GroupId":"a","GroupId":null,"GroupId":7,"From_Account":{"x":1},"Operator_Account":[1]}`,
	`{"Random":-1,"MsgSeq":1.5,"MsgTime":1e3,"EventTime":-0,"Random":18446744073709551615,"MsgSeq":18446744073709551616}`,
	`{"MsgTime":9223372036854775807,"EventTime":-9223372036854775808,"Random":"5","MsgSeq":true}`,
	`{"MsgTime":99999999999999999999,"EventTime":-123456789012345678,"Random":0}`,
	`{"MsgBody":[{"MsgType":"A","MsgContent":{"Text":"1"}},{"MsgType":"B","MsgContent":2}],"MsgBody":[{"MsgType":"C"}],"MsgBody":[{},{}]}`,
	`{"MsgBody":[{"MsgType":"A","MsgContent":1}],"MsgBody":null,"MsgBody":[{}]}`,
	`{"MsgBody":[null,1,"x",[],{"MsgType":null,"MsgContent":null}],"MsgBody":"x"}`,
	`{"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"LIKE","Desc":null,"Ext":7,"Sound":""}}]}`,
	`{"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{"data":"SEND_GIFT","DATA":"LIKE","Text":[],"Ext":"{}"}}]}`,
	`{"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":"x"},{"MsgType":"TIMTextElem","MsgContent":[]},{"MsgType":"TIMTextElem","MsgContent":{"Text":{}}}]}`,
	`[1,2,3]`, `"x"`, `null`, `  {}  `, `{} {}`, `{"a":}`, `{"a" 1}`, `{,}`, `[1,]`, `{"a":1,}`, `01`, `-`, `1.`, `.5`, `1e`, `tru`, `nul`,
	"{\"a\":\"\x01\"}", `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`, `{"MsgBody":[{"MsgContent":{"Text":"\uD800\u0041"}}]}`,
	`{"MſgBody":[{"MsgType":"K"}],"Kelvin":1}`,
}

func compareWithEncodingJSON(t *testing.T, s *scratch, body []byte) {
	t.Helper()
	var want sendMsg
	werr := tolerant(json.Unmarshal(body, &want))
	gerr := s.decodeSendMsg(body)
	if werr == nil && hasDuplicateFields(body) {
		// encoding/json lets the last key win; the decoder refuses the body.
		if !errors.Is(gerr, errDuplicateKey) {
			t.Fatalf("body %q has two keys for one field; the decoder says %v", body, gerr)
		}
		return
	}
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("body %q: encoding/json says %v, the decoder %v", body, werr, gerr)
	}
	if werr != nil {
		return
	}
	got := &s.msg
	if got.GroupID != want.GroupID || got.FromAccount != want.FromAccount || got.OperatorAccount != want.OperatorAccount ||
		got.Random != want.Random || got.MsgSeq != want.MsgSeq || got.MsgTime != want.MsgTime || got.EventTime != want.EventTime {
		t.Fatalf("body %q: fields\n got  %+v\n want %+v", body, *got, want)
	}
	if len(got.MsgBody) != len(want.MsgBody) {
		t.Fatalf("body %q: %d elements, want %d", body, len(got.MsgBody), len(want.MsgBody))
	}
	for i := range want.MsgBody {
		g, w := &got.MsgBody[i], &want.MsgBody[i]
		if g.MsgType != w.MsgType || !bytes.Equal(g.MsgContent, w.MsgContent) {
			t.Fatalf("body %q: element %d: got %q %q, want %q %q", body, i, g.MsgType, g.MsgContent, w.MsgType, w.MsgContent)
		}
		var tc tim.TextContent
		terr := json.Unmarshal(w.MsgContent, &tc)
		text, ok := s.textOf(g)
		if ok != (terr == nil) || (ok && text != tc.Text) {
			t.Fatalf("body %q: element %d text: got %q %v, want %q %v", body, i, text, ok, tc.Text, terr)
		}
		var cc tim.CustomContent
		cerr := json.Unmarshal(w.MsgContent, &cc)
		c, ok := s.customOf(g)
		if ok != (cerr == nil) || (ok && *c != cc) {
			t.Fatalf("body %q: element %d custom: got %+v %v, want %+v %v", body, i, c, ok, cc, cerr)
		}
	}
}

func TestDecoderAgreesWithEncodingJSON(t *testing.T) {
	s := new(scratch)
	for _, seed := range decoderSeeds {
		compareWithEncodingJSON(t, s, []byte(seed))
	}
	deep := bytes.Repeat([]byte("["), maxDepth)
	deep = append(deep, bytes.Repeat([]byte("]"), maxDepth)...)
	compareWithEncodingJSON(t, s, deep)
	compareWithEncodingJSON(t, s, append([]byte("["), deep...))
	compareWithEncodingJSON(t, s, []byte(`{"MsgBody":`+string(deep)+`}`))
}

func TestParseQueryReadsWhatTheVerifierNeeds(t *testing.T) {
	s := new(scratch)
	tests := []struct {
		raw, app, sign, reqTime, command string
	}{
		{"SdkAppid=1400000042&CallbackCommand=Group.CallbackBeforeSendMsg&contenttype=json&ClientIP=203.0.113.7&OptPlatform=Web&Sign=ab12&RequestTime=1735689600",
			"1400000042", "ab12", "1735689600", "Group.CallbackBeforeSendMsg"},
		{"Sign=a%62&SdkAppid=1&SdkAppid=2&CallbackCommand=State.StateChange&CallbackCommand=x", "1", "ab", "", "State.StateChange"},
		{"CallbackCommand=Group.Callback%41fterSendMsg&RequestTime=%zz&SdkAppid=+7", " 7", "", "", "Group.CallbackAfterSendMsg"},
		{"", "", "", "", ""},
		{"&&=&SdkAppid&Sign=", "", "", "", ""},
	}
	for _, tc := range tests {
		q, command := s.parseQuery(tc.raw)
		if q.Get("SdkAppid") != tc.app || q.Get("Sign") != tc.sign || q.Get("RequestTime") != tc.reqTime || command != tc.command {
			t.Errorf("%q: got %v %q", tc.raw, q, command)
		}
		if len(q) > 3 {
			t.Errorf("%q: %v holds more than the Verifier reads", tc.raw, q)
		}
	}
}

func TestFieldKeysAreListedInTheOrderOfTheirBits(t *testing.T) {
	for _, c := range []struct {
		key   []byte
		keys  [][]byte
		field fieldSet
	}{
		{keyGroupID, sendMsgKeys, fieldGroupID}, {keyFromAccount, sendMsgKeys, fieldFromAccount},
		{keyOperatorAccount, sendMsgKeys, fieldOperatorAccount}, {keyRandom, sendMsgKeys, fieldRandom},
		{keyMsgSeq, sendMsgKeys, fieldMsgSeq}, {keyMsgTime, sendMsgKeys, fieldMsgTime},
		{keyEventTime, sendMsgKeys, fieldEventTime}, {keyMsgBody, sendMsgKeys, fieldMsgBody},
		{keyText, contentKeys, fieldText}, {keyData, contentKeys, fieldData}, {keyDesc, contentKeys, fieldDesc},
		{keyExt, contentKeys, fieldExt}, {keySound, contentKeys, fieldSound},
		{[]byte("groupid"), sendMsgKeys, fieldGroupID}, {[]byte("Other"), sendMsgKeys, 0}, {keyText, sendMsgKeys, 0},
	} {
		if got := fieldOf(c.key, c.keys); got != c.field {
			t.Errorf("fieldOf(%s) = %b, want %b", c.key, got, c.field)
		}
	}
}
