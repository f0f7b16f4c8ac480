package moderation

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// compiledFixture is a list with every kind of entry the compiled form must carry: one-character
// words, words that fold to several characters, spaced entries and allow entries.
const compiledFixture = "加微信\n微信\n裏垢\n死ね\nガキ\nscam\nscam link\nass\na\n傻\nパパ活\n㍻\nﬁx\n!class\n!加微信群\n# a comment\n\nscam\n"

// TestCompiledFormHoldsTheWholeMatcher decodes to exactly the Matcher Compile built, so that a
// field added to Matcher and not to the encoding fails here.
func TestCompiledFormHoldsTheWholeMatcher(t *testing.T) {
	src := []byte(compiledFixture + defaultWords)
	l, rep, err := ParseWordList(strings.NewReader(string(src)))
	if err != nil {
		t.Fatal(err)
	}
	want := Compile(l)
	got, gotRep, err := LoadCompiled(EncodeCompiled(want, src, rep), src)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("the decoded Matcher differs from the compiled one")
	}
	if !reflect.DeepEqual(gotRep, rep) {
		t.Errorf("report = %+v, want %+v", gotRep, rep)
	}
}

// compiledGolden is the SHA-256 of the compiled form of compiledFixture for compiledVersion, with
// the Unicode tables named. When Compile's output or its encoding changes, this test fails: bump
// compiledVersion, so that functions compile lists an older version made again, and record the
// new digest here.
var compiledGolden = struct {
	version       int
	unicode, norm string
	digest        string
}{3, "15.0.0", "15.0.0", "dee06fc7bc4a7b77750c1756b15971c69d30fb80e8ae5fe9f61fedd8f5070ead"}

func TestCompiledVersionFollowsTheOutput(t *testing.T) {
	if unicode.Version != compiledGolden.unicode || norm.Version != compiledGolden.norm {
		t.Skipf("the digest was recorded with Unicode %s and norm %s, not %s and %s (the version check covers them)",
			compiledGolden.unicode, compiledGolden.norm, unicode.Version, norm.Version)
	}
	l, rep, err := ParseWordList(strings.NewReader(compiledFixture))
	if err != nil {
		t.Fatal(err)
	}
	var e encoder
	e.report(rep)
	e.matcher(Compile(l))
	sum := sha256.Sum256(e.b)
	got := hex.EncodeToString(sum[:])
	if compiledGolden.version != compiledVersion || got != compiledGolden.digest {
		t.Fatalf("the compiled form changed (version %d, digest %s; recorded: version %d, digest %s): "+
			"bump compiledVersion and record the new digest", compiledVersion, got, compiledGolden.version, compiledGolden.digest)
	}
}
