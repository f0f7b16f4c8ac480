// Command wordlist compiles moderation word lists ahead of time: for each list it writes the
// compiled form next to it (the list's path with ".compiled"), which imcallback loads at start-up
// instead of compiling the list. The text stays the source of truth: the compiled form carries its
// SHA-256, and a function given a list whose compiled form was made from other text, or by another
// version, compiles the text instead and logs why. scripts/build runs it for the list it packages.
//
//	go run ./scripts/wordlist words.txt [more.txt ...]
package main

import (
	"fmt"
	"os"

	"github.com/uriba-live/uriba/shared/moderation"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: wordlist WORDLIST...")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		rep, err := moderation.WriteCompiled(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wordlist:", err)
			failed = true
			continue
		}
		fmt.Printf("%s%s: %d words, %d allow entries", path, moderation.CompiledSuffix, rep.Words, rep.Allow)
		if n := len(rep.Invalid) + len(rep.Unusable); n > 0 {
			fmt.Printf("; %d lines skipped (not UTF-8: %v, unusable: %v)", n, rep.Invalid, rep.Unusable)
		}
		fmt.Println()
	}
	if failed {
		os.Exit(1)
	}
}
