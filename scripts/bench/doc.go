// Package bench compares the moderation matcher of package
// github.com/uriba-live/uriba/shared/moderation with public Aho–Corasick modules, on the inputs
// of the package's own benchmarks: a generated list of 10,000 Chinese, Japanese and Latin-script
// words and 200-byte chat messages, clean and with one listed word each.
//
// The other modules get the raw text and do no normalisation; the uriba matcher folds width,
// case and kana and skips separators as it scans. It is a separate module so that the main module
// does not depend on them. Run from this directory:
//
//	go test -bench . -benchmem -count 3
//	CPUTIME=1 go test -run CPUTime -v   # thread CPU time, round-robin: steadier on a busy machine
package bench
