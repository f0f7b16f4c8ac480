package store

import "testing"

func TestEscapeIDRoundTrips(t *testing.T) {
	for _, id := range []string{"room-1", "a/b", "a#b", "50%", "%2F", "/#%", "", "ルーム/1"} {
		got := EscapeID(id)
		for i := 0; i < len(got); i++ {
			if got[i] == '/' || got[i] == '#' {
				t.Errorf("EscapeID(%q) = %q keeps a separator", id, got)
			}
		}
		if back := UnescapeID(got); back != id {
			t.Errorf("UnescapeID(EscapeID(%q)) = %q", id, back)
		}
	}
	if EscapeID("a/b") == EscapeID("a%2Fb") {
		t.Error("two IDs share an escaped form")
	}
}
