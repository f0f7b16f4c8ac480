package levels

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/uriba-live/uriba/shared/live"
)

func TestARecordSurvivesTheStore(t *testing.T) {
	r := record{
		XP: 1234, Level: 5, Announced: 4, Room: "room-1", Floor: 17, Updated: 99,
		Days: []dayTally{{Day: 20000, XP: map[live.ActivityKind]int64{live.KindLike: 40}}},
		Seen: seenSet{{hash: hashID("room-1/1"), at: 18}, {hash: 1<<64 - 1, at: 1 << 50}},
	}
	raw, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRecord(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.XP != r.XP || got.Level != r.Level || got.Announced != r.Announced || got.Room != r.Room ||
		got.Floor != r.Floor || !slices.Equal(got.Seen, r.Seen) || got.Days[0].XP[live.KindLike] != 40 {
		t.Errorf("decoded %+v, want %+v", got, r)
	}
	if _, err := decodeRecord([]byte(`{"seen":"AAAA"}`)); err == nil {
		t.Error("a truncated entry was accepted")
	}
}

func TestRecordKeysStayOutOfDirectories(t *testing.T) {
	for _, id := range []string{"alice", "a/b", "trailing/", "50%#"} {
		k := recordKey(id)
		if strings.Contains(k, "/") || !strings.HasPrefix(k, keyPrefix) {
			t.Errorf("recordKey(%q) = %q", id, k)
		}
	}
	if recordKey("a/b") == recordKey("a%2Fb") {
		t.Error("two user IDs share a key")
	}
}
