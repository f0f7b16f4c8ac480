package moderation

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrEmptyList is returned by ParseWordList when the list holds no banned word.
var ErrEmptyList = errors.New("moderation: the word list has no banned word")

// AllowMarker starts an allow entry in a word list file.
const AllowMarker = "!"

// WordList is a list of banned words and of allow entries: harmless longer words that contain a
// banned word, such as "class" for "ass" or "死ねない" for "死ね". A banned word that only occurs
// inside an allow entry is not a hit.
type WordList struct {
	Words []string
	Allow []string
}

// ParseReport tells what ParseWordList read and what it skipped.
type ParseReport struct {
	Lines      int   // lines read
	Words      int   // banned words kept
	Allow      int   // allow entries kept
	Blank      int   // blank lines skipped
	Comments   int   // comment lines skipped
	Duplicates int   // entries skipped because an earlier one of the same kind folds to the same
	Invalid    []int // numbers (from 1) of lines skipped because they are not valid UTF-8
	Unusable   []int // numbers (from 1) of lines whose entry folds to nothing or is too long
}

// ParseWordList reads a UTF-8 word list: one entry per line. Leading and trailing white space is
// trimmed and CRLF line ends are tolerated. A line starting with '#' is a comment. A line starting
// with AllowMarker ("!") is an allow entry. A leading backslash is dropped and keeps the rest of
// the line literal, so "\#1" bans "#1". Blank lines and repeated entries (entries that fold to
// the same characters as an earlier entry of the same kind) are skipped and counted. Lines that
// are not valid UTF-8, and entries that fold to nothing (only punctuation, say) or to more than
// MaxWordRunes characters, are skipped and reported by line number. A list without a banned word
// is an error, ErrEmptyList; so is a failure to read r.
func ParseWordList(r io.Reader) (WordList, ParseReport, error) {
	f := theFolding()
	var (
		l      WordList
		rep    ParseReport
		seen   = make(map[string]bool)
		allows = make(map[string]bool)
	)
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line == "" && err != nil {
			if err == io.EOF {
				break
			}
			return WordList{}, rep, fmt.Errorf("moderation: reading the word list: %w", err)
		}
		rep.Lines++
		if rep.Lines == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if !utf8.ValidString(line) {
			rep.Invalid = append(rep.Invalid, rep.Lines)
			continue
		}
		line = strings.TrimFunc(line, unicode.IsSpace) // also drops the "\r" of CRLF
		kind, isAllow := seen, false
		switch {
		case line == "":
			rep.Blank++
			continue
		case strings.HasPrefix(line, "#"):
			rep.Comments++
			continue
		case strings.HasPrefix(line, AllowMarker):
			kind, isAllow = allows, true
			line = strings.TrimFunc(line[len(AllowMarker):], unicode.IsSpace)
		case strings.HasPrefix(line, `\`):
			line = strings.TrimLeftFunc(line[1:], unicode.IsSpace)
		}
		fw, ok := foldWord(f, line)
		if !ok || !writable(line) {
			rep.Unusable = append(rep.Unusable, rep.Lines)
			continue
		}
		key := string(fw.runes)
		if kind[key] {
			rep.Duplicates++
			continue
		}
		kind[key] = true
		if isAllow {
			l.Allow = append(l.Allow, line)
			rep.Allow++
		} else {
			l.Words = append(l.Words, line)
			rep.Words++
		}
	}
	if len(l.Words) == 0 {
		return WordList{}, rep, ErrEmptyList
	}
	return l, rep, nil
}

// writable reports whether a list entry holds only characters a person writes: no control
// characters, private-use or unassigned code points, which no banned word is made of and which the
// scanner does not promise to read as a list entry has them.
func writable(entry string) bool {
	for _, r := range entry {
		if unicode.IsControl(r) || unicode.Is(unicode.Co, r) || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cf) {
			return false
		}
	}
	return true
}

//go:embed default_words.txt
var defaultWords string

// DefaultWordList returns a small built-in list of Chinese, Japanese and English words: insults,
// slurs, and the phrases scammers use to move buyers off the platform. It suits the dev server and
// tests; production loads its own list with ParseWordList.
func DefaultWordList() WordList {
	l, _, err := ParseWordList(strings.NewReader(defaultWords))
	if err != nil {
		panic("moderation: the built-in word list is broken: " + err.Error())
	}
	return l
}
