// Command starttime measures how long built function binaries take from start to their first
// request: it starts each binary as a local HTTP server (URIBA_RUNTIME=http) on a loopback port,
// times until GET /healthz first answers 200, stops it, and reports the median, the fastest and
// the slowest of several runs.
//
//	go run ./scripts/starttime [-runs 9] [-words 10000] [-env KEY=VALUE]... BINARY...
//
// Each binary gets a fixed configuration that every function accepts without reaching any
// server at start-up (an IM app, merchant key, streaming domains and keys, AWS and Tencent Cloud
// credentials, all fake), plus the -env values. STORE is dynamodb:uriba for a binary that holds
// the DynamoDB client and redis://127.0.0.1:1/0 otherwise (neither connects before a request
// needs it). With -words N above 0, imcallback gets a generated list of N words
// (MODERATION_WORDS_FILE); with -compiled, that list's compiled form is written next to it
// first, as scripts/build does. Runs of the binaries are interleaved, so that a change in the
// machine's load affects them alike.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/moderation"
	"github.com/uriba-live/uriba/shared/moderation/moderationtest"
)

type envFlag []string

func (e *envFlag) String() string     { return strings.Join(*e, " ") }
func (e *envFlag) Set(v string) error { *e = append(*e, v); return nil }

func main() {
	runs := flag.Int("runs", 9, "runs per binary")
	words := flag.Int("words", 10_000, "words in the generated moderation list (0: the built-in list)")
	compiled := flag.Bool("compiled", false, "write the compiled form of the generated list next to it")
	var extra envFlag
	flag.Var(&extra, "env", "KEY=VALUE added to every binary's environment (repeatable)")
	flag.Parse()
	if flag.NArg() == 0 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Args(), *runs, *words, *compiled, extra); err != nil {
		fmt.Fprintln(os.Stderr, "starttime:", err)
		os.Exit(1)
	}
}

func run(bins []string, runs, words int, compiled bool, extra []string) error {
	dir, err := os.MkdirTemp("", "starttime")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env := baseEnv()
	if words > 0 {
		path, err := writeWords(dir, words, compiled)
		if err != nil {
			return err
		}
		env = append(env, "MODERATION_WORDS_FILE="+path)
	}
	env = append(env, extra...)

	stores := make([]string, len(bins))
	for i, bin := range bins {
		stores[i] = storeFor(bin)
	}
	times := make([][]time.Duration, len(bins))
	for range runs {
		for i, bin := range bins {
			d, err := once(bin, append(slices.Clip(env), "STORE="+stores[i]))
			if err != nil {
				return fmt.Errorf("%s: %w", bin, err)
			}
			times[i] = append(times[i], d)
		}
	}
	fmt.Printf("%-40s %9s %9s %9s  (%d runs)\n", "binary", "median", "min", "max", runs)
	for i, bin := range bins {
		t := times[i]
		slices.Sort(t)
		fmt.Printf("%-40s %9s %9s %9s\n", bin, ms(t[len(t)/2]), ms(t[0]), ms(t[len(t)-1]))
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// baseEnv is a configuration every function starts with, locally, without reaching a server.
func baseEnv() []string {
	digest := sha256.Sum256([]byte("starttime merchant key"))
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"URIBA_RUNTIME=http",
		"IM_SDKAPPID=1400000001",
		"IM_SECRET_KEY=starttime-secret-key-0123456789abcdef",
		"IM_BASE_URL=http://127.0.0.1:1",
		"MERCHANT_KEY_SHA256=" + hex.EncodeToString(digest[:]),
		"AWS_REGION=ap-northeast-1",
		"AWS_ACCESS_KEY_ID=AKIDSTARTTIME",
		"AWS_SECRET_ACCESS_KEY=starttime",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
		"TENCENTCLOUD_SECRET_ID=AKIDSTARTTIME",
		"TENCENTCLOUD_SECRET_KEY=starttime",
		"TENCENTCLOUD_REGION=ap-tokyo",
		"CLOUDAPI_BASE_URL=http://127.0.0.1:1",
		"STREAM_PUSH_DOMAIN=push.example.com",
		"STREAM_PUSH_KEY=starttime-push-key",
		"STREAM_PLAY_DOMAIN=play.example.com",
		"STREAM_PLAY_KEY=starttime-play-key",
		"STREAM_CALLBACK_KEY=starttime-callback-key",
	}
}

// writeWords writes a generated list of n words to dir, and its compiled form when asked.
func writeWords(dir string, n int, compiled bool) (string, error) {
	path := filepath.Join(dir, "words.txt")
	src := []byte(strings.Join(moderationtest.Generate(n, 200, 20240601).Words, "\n") + "\n")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return "", err
	}
	if compiled {
		if _, err := moderation.WriteCompiled(path); err != nil {
			return "", err
		}
	}
	return path, nil
}

// once starts bin and returns the time until its first 200 to GET /healthz.
func once(bin string, env []string) (time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	env = append(env, "URIBA_ADDR="+addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	exited := make(chan struct{})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	url := "http://" + addr + "/healthz"

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	for {
		select {
		case <-exited:
			return 0, fmt.Errorf("exited before answering: %s", strings.TrimSpace(stderr.String()))
		case <-ctx.Done():
			return 0, errors.New("no answer to GET /healthz in 20s")
		default:
		}
		res, err := client.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// storeFor names a store bin can open: DynamoDB when it holds the client, else Redis.
func storeFor(bin string) string {
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err == nil && !strings.Contains(string(out), "service/dynamodb") {
		return "redis://127.0.0.1:1/0"
	}
	return "dynamodb:uriba"
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
