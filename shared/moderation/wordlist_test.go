package moderation_test

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/uriba-live/uriba/shared/moderation"
)

func TestParseWordList(t *testing.T) {
	in := "\uFEFF# comment\r\n" +
		"scam\r\n" +
		"\r\n" +
		"  加微信  \n" +
		"ＳＣＡＭ\n" + // folds like "scam": a duplicate
		"scam\n" +
		"!class\n" +
		"! assist \n" +
		"!class\n" +
		"\\#1\n" +
		"\\!bang\n" +
		"bad \xff line\n" +
		"   # indented comment\n" +
		"\t\n" +
		"!!!\n" +
		strings.Repeat("長", moderation.MaxWordRunes+1) + "\n" +
		"死ね" // no final newline
	l, rep, err := moderation.ParseWordList(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"scam", "加微信", "#1", "!bang", "死ね"}; !slices.Equal(l.Words, want) {
		t.Errorf("Words = %q, want %q", l.Words, want)
	}
	if want := []string{"class", "assist"}; !slices.Equal(l.Allow, want) {
		t.Errorf("Allow = %q, want %q", l.Allow, want)
	}
	want := moderation.ParseReport{
		Lines: 17, Words: 5, Allow: 2, Blank: 2, Comments: 2, Duplicates: 3,
		Invalid: []int{12}, Unusable: []int{15, 16},
	}
	if !equalReports(rep, want) {
		t.Errorf("report = %+v, want %+v", rep, want)
	}
}

func equalReports(a, b moderation.ParseReport) bool {
	return a.Lines == b.Lines && a.Words == b.Words && a.Allow == b.Allow && a.Blank == b.Blank &&
		a.Comments == b.Comments && a.Duplicates == b.Duplicates &&
		slices.Equal(a.Invalid, b.Invalid) && slices.Equal(a.Unusable, b.Unusable)
}

func TestParseWordListEmpty(t *testing.T) {
	for name, in := range map[string]string{
		"empty file":       "",
		"only comments":    "# a\n# b\n",
		"only blank lines": "\n\r\n  \n",
		"only allow":       "!class\n",
		"only bad lines":   "\xff\xfe\n",
	} {
		if _, _, err := moderation.ParseWordList(strings.NewReader(in)); !errors.Is(err, moderation.ErrEmptyList) {
			t.Errorf("%s: err = %v, want ErrEmptyList", name, err)
		}
	}
}

func TestParseWordListReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("scam\n"), iotest.ErrReader(boom))
	if _, _, err := moderation.ParseWordList(r); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the read error", err)
	}
}

// TestParseThenCompile checks that what ParseWordList keeps, Compile matches.
func TestParseThenCompile(t *testing.T) {
	l, _, err := moderation.ParseWordList(strings.NewReader("ass\n!class\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := moderation.Compile(l)
	if !m.Contains("kick ass") || m.Contains("first class") {
		t.Error("the parsed list does not match as written")
	}
}
