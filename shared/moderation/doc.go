// Package moderation finds banned words in chat messages, seeing through the usual ways of
// hiding them. It runs in the IM BeforeSendMsg callback for every message of every live room, so
// checking a message allocates nothing and takes about half a microsecond of CPU time for a
// 200-byte message against a 10,000-word list.
//
// # Word lists
//
// ParseWordList reads a list file: one entry per line, '#' for comments, '!' for allow entries.
// An allow entry is a harmless longer word that contains a banned word: with "ass" banned and
// "class" allowed, "class" is not a hit but "ass" still is. DefaultWordList returns a small
// built-in list for the dev server. Compile builds a Matcher from a WordList once, at start-up;
// a Matcher is safe for concurrent use.
//
// Compiling a large list takes tens of milliseconds, most of them spent building the folding
// tables. EncodeCompiled stores a Matcher as a compiled word list, which LoadCompiled reads back in
// a few milliseconds. A compiled list carries the SHA-256 of the text it was made from and the
// versions it was made by, and LoadCompiled refuses it (ErrStale) for any other text or version:
// the text stays the source of truth. WriteCompiled writes a list's compiled form next to it.
//
// # What a Matcher sees through
//
// Text and entries are folded the same way, one rune at a time:
//
//   - Unicode compatibility folding (NFKC): full-width ASCII ("ｓｃａｍ"), half-width katakana
//     ("ｳﾗｱｶ"), circled and parenthesised characters ("①", "㈱"), squared words ("㍻"), Kangxi
//     radicals ("⼈"), ligatures ("ﬁ").
//   - Voiced sound marks join the kana before them however either is written: "ｶﾞ", "か\u3099",
//     "か゛" and "㋕゛" all read as "が".
//   - Case: simple Unicode case folding, so "SCAM", "Scam" and "ＳＣＡＭ" read as "scam".
//   - Diacritics are dropped from Latin, Greek and Cyrillic letters: "scám" reads as "scam".
//   - Katakana reads as hiragana: "シネ" matches "しね" and the other way round. Kanji are not
//     read, so "うらあか" does not match "裏垢".
//   - Characters that render as nothing are removed before anything else is judged: format
//     characters (zero-width space and joiners, U+2060 word joiner, U+00AD soft hyphen, U+FEFF,
//     invisible operators, bidi controls, tag characters, the Mongolian vowel separator),
//     variation selectors, the other default-ignorable code points (Hangul fillers, the
//     combining grapheme joiner) and combining marks, which belong to the letter before them.
//     They neither join nor separate: "sc\u200bam", "s\u00adcam" and "sca\u0301m" all read as
//     "scam", and "加\u200b微信" as "加微信".
//   - Separators between the characters of a word are ignored: spaces (U+3000 included),
//     punctuation, symbols and emoji, and control characters. So "加 微 信", "加.微.信" and
//     "加😀微信" all match "加微信". A hit starts at its first real character and ends after its
//     last: separators and invisible characters around it are not part of it, those inside are.
//
// Bytes that are not UTF-8 are characters that match nothing: they break a word like a letter
// would, and are never part of a hit.
//
// Latin script separates words with spaces, so ignoring spaces between all letters would make
// "was steady" contain "ass". Between two Latin, Greek or Cyrillic letters or digits of a banned
// word, separators therefore count only when the word is spelled out consistently: either every
// such gap has a separator ("s c a m", "S-C-A-M") or none has ("scam"), and a spelled-out word
// must not be glued to letters around it ("go keep" does not spell "ok"). Gaps where the entry
// itself has a space ("scam link") may be written either way. CJK words have no such rule.
//
// An allow entry only shields a banned word when it is written without separators inside (except
// where the entry has them), so "c l a s s" is not shielded by "class" while "class" is.
//
// # Results
//
// Find reports every occurrence of every banned word, overlapping ones included, with byte
// offsets into the original text. Mask replaces each rune of each hit with '*' (separators and
// invisible characters inside a hit included) and leaves everything else as it was.
//
// # How it is fast
//
// Compile builds per-rune tables that map every rune straight to a code of the word list's
// alphabet (or to "separator" or "matches nothing"), an Aho–Corasick automaton over those codes
// stored as a double array, and two small filters: a bitmap of the first two characters of every
// word and a hashed bitmap of the first three. Contains, Find and Mask first decode the text a
// chunk at a time into codes with table lookups only, and test every pair and triple of adjacent
// codes against the filters. Only where a word may start do they walk the automaton's trie, and
// only when a word is found there, or a rare character (a voiced mark, a rune folding to several
// characters) turns up, do they run the careful scan: the full automaton with failure and output
// links, which keeps the positions of the original text, applies the Latin rule and the allow
// entries, and reports hits. Find and Mask hand the text back to the filter once the automaton
// has idled near its root for a few characters. Nothing is allocated on the way, and no folded
// copy of the text is made.
package moderation
