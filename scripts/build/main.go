// Command build builds every deployable artifact of uriba for both clouds, reproducibly: the same
// sources, Go release and flags give the same bytes.
//
//	go run ./scripts/build                 # everything, into dist/ (make build does the same)
//	go run ./scripts/build -cloud lambda   # only the Lambda artifacts (or -cloud scf)
//	go run ./scripts/build -only imcallback,pushurl
//	go run ./scripts/build -words words.txt   # package a moderation word list with imcallback
//	go run ./scripts/build -check -only levelupdater   # build twice, fail unless the bytes agree
//	go run ./scripts/build -print-tags lambda  # the build tags of a cloud's binaries
//
// It writes, for each function <fn> under functions/:
//
//	dist/lambda/<fn>/bootstrap          AWS Lambda, provided.al2023 on arm64 (SAM's CodeUri)
//	dist/scf/<fn>/main                  Tencent SCF on amd64 (serverless.yml's src), with
//	dist/scf/<fn>/scf_bootstrap         the start script of web functions (mode 755)
//	dist/zip/lambda/<fn>.zip            the folders above as deployment packages
//	dist/zip/scf/<fn>.zip
//
// With -words, imcallback's folders and packages also hold the list as words.txt and its compiled
// form as words.txt.compiled (see scripts/wordlist), for MODERATION_WORDS_FILE=words.txt.
//
// Each cloud's binaries leave out the other cloud's runtime, store and queue clients, and bolt,
// by build tags (see the tags below); SCF web functions leave out SCF's event runtime too. Binaries are built with -trimpath, -buildvcs=false and
// stripped; packages list their entries in name order with a fixed time and explicit modes. The
// Go release is pinned too: releaseToolchain, which the go command downloads through the module
// proxy the first time, unless GOTOOLCHAIN is set (GOTOOLCHAIN=local builds with the installed Go).
package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/uriba-live/uriba/shared/moderation"
)

// A cloud is one deployment target.
type cloud struct {
	name   string
	goarch string
	tags   string // the build tags of every function's binary
	// webTags are added for web functions, which serve HTTP themselves and take no events.
	webTags string
	exe     string // the binary's name in the function's folder
}

// The clouds, with the tags that leave out what each does not use.
var clouds = []cloud{
	{name: "lambda", goarch: "arm64", tags: "lambda.norpc,no_redis,no_scf,no_bolt", exe: "bootstrap"},
	{name: "scf", goarch: "amd64", tags: "no_dynamodb,no_sqs,no_lambda,no_bolt", webTags: "no_scf_event", exe: "main"},
}

// scfEventFunctions run on SCF as event functions (asynchronous invocations, timers), which
// need scf-go-lib's runtime and no scf_bootstrap; every other function is a web function,
// started by scf_bootstrap, whose binary leaves that runtime out (webTags).
var scfEventFunctions = []string{"levelupdater", "streamender"}

// tagsFor returns the build tags of fn's binary for c.
func tagsFor(c cloud, fn string) string {
	if c.webTags != "" && !slices.Contains(scfEventFunctions, fn) {
		return c.tags + "," + c.webTags
	}
	return c.tags
}

// releaseToolchain is the Go release the artifacts are built with, unless GOTOOLCHAIN is set:
// the newest patch release of the go.mod's Go version, with the standard library's security fixes.
const releaseToolchain = "go1.26.10"

// zipTime is the modification time of every package entry.
var zipTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

type options struct {
	out   string
	cloud string
	only  []string
	words string
	check bool
}

func main() {
	var o options
	var only string
	flag.StringVar(&o.out, "out", "dist", "the output folder")
	flag.StringVar(&o.cloud, "cloud", "all", "lambda, scf or all")
	flag.StringVar(&only, "only", "", "comma-separated functions to build (default: all)")
	flag.StringVar(&o.words, "words", "", "a moderation word list to package with imcallback")
	flag.BoolVar(&o.check, "check", false, "build twice into temporary folders and fail unless every file is the same")
	printTags := flag.String("print-tags", "", "print the build tags of the cloud named (lambda, scf, or scf-web for SCF web functions) and stop")
	flag.Parse()
	if *printTags != "" {
		for _, c := range clouds {
			switch *printTags {
			case c.name:
				fmt.Println(c.tags)
				return
			case c.name + "-web":
				fmt.Println(tagsFor(c, "web function"))
				return
			}
		}
		fmt.Fprintf(os.Stderr, "build: no cloud %q\n", *printTags)
		os.Exit(2)
	}
	if only != "" {
		o.only = strings.Split(only, ",")
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if _, err := os.Stat("go.mod"); err != nil {
		return errors.New("run it from the repository's root")
	}
	fns, err := functions(o.only)
	if err != nil {
		return err
	}
	var targets []cloud
	for _, c := range clouds {
		if o.cloud == "all" || o.cloud == c.name {
			targets = append(targets, c)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("-cloud %q is not lambda, scf or all", o.cloud)
	}
	if o.words != "" {
		// Compiled by the release toolchain, whose Unicode tables the functions will have.
		if err := goCommand(nil, "run", "./scripts/wordlist", o.words); err != nil {
			return err
		}
	}
	if o.check {
		return check(targets, fns, o.words)
	}
	if err := build(o.out, targets, fns, o.words); err != nil {
		return err
	}
	return report(o.out, targets, fns)
}

// functions returns the functions under functions/, or those named, sorted.
func functions(only []string) ([]string, error) {
	entries, err := os.ReadDir("functions")
	if err != nil {
		return nil, err
	}
	var all []string
	for _, e := range entries {
		if e.IsDir() {
			all = append(all, e.Name())
		}
	}
	if len(only) == 0 {
		return all, nil
	}
	for _, fn := range only {
		if !slices.Contains(all, fn) {
			return nil, fmt.Errorf("no function %q under functions/", fn)
		}
	}
	return slices.Sorted(slices.Values(only)), nil
}

// build builds the functions for each cloud into out, replacing what was there for them.
func build(out string, targets []cloud, fns []string, words string) error {
	for _, c := range targets {
		tmp, err := os.MkdirTemp("", "uriba-build-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := compile(c, fns, tmp); err != nil {
			return err
		}
		for _, fn := range fns {
			dir := filepath.Join(out, c.name, fn)
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			files, err := stage(c, fn, filepath.Join(tmp, fn), dir, words)
			if err != nil {
				return err
			}
			zipPath := filepath.Join(out, "zip", c.name, fn+".zip")
			if err := writeZip(zipPath, dir, files); err != nil {
				return err
			}
		}
	}
	return nil
}

// compile builds the functions' binaries for c into dir, one file per function, with one go build
// per set of build tags.
func compile(c cloud, fns []string, dir string) error {
	byTags := make(map[string][]string)
	for _, fn := range fns {
		byTags[tagsFor(c, fn)] = append(byTags[tagsFor(c, fn)], "./functions/"+fn)
	}
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + c.goarch, "GOAMD64=v1", "GOARM64=v8.0"}
	for _, tags := range slices.Sorted(maps.Keys(byTags)) {
		args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-tags", tags, "-o", dir + string(filepath.Separator)}
		if err := goCommand(env, append(args, byTags[tags]...)...); err != nil {
			return fmt.Errorf("building for %s: %w", c.name, err)
		}
	}
	return nil
}

// goCommand runs the go command of the release toolchain with env added to the environment.
func goCommand(env []string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	if os.Getenv("GOTOOLCHAIN") == "" {
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN="+releaseToolchain)
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", args[0], err)
	}
	return nil
}

// file is one file of a function's folder and package.
type file struct {
	name string
	from string
	mode os.FileMode
}

// stage fills a function's folder with its binary and what else the cloud needs, and returns
// those files in name order.
func stage(c cloud, fn, binary, dir, words string) ([]file, error) {
	files := []file{{c.exe, binary, 0o755}}
	if c.name == "scf" && !slices.Contains(scfEventFunctions, fn) {
		files = append(files, file{"scf_bootstrap", "scripts/scf_bootstrap", 0o755})
	}
	if words != "" && fn == "imcallback" {
		files = append(files, file{"words.txt", words, 0o644},
			file{"words.txt" + moderation.CompiledSuffix, words + moderation.CompiledSuffix, 0o644})
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	for _, f := range files {
		data, err := os.ReadFile(f.from)
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, f.name)
		if err := os.WriteFile(dst, data, f.mode); err != nil {
			return nil, err
		}
		if err := os.Chmod(dst, f.mode); err != nil { // whatever the umask
			return nil, err
		}
	}
	return files, nil
}

// writeZip packages the files of dir, in the order given, with a fixed time and their modes.
func writeZip(path, dir string, files []file) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(f.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// report prints the size of every binary and package.
func report(out string, targets []cloud, fns []string) error {
	fmt.Printf("%-8s %-18s %12s %12s\n", "cloud", "function", "binary", "zip")
	for _, c := range targets {
		for _, fn := range fns {
			bin, err := os.Stat(filepath.Join(out, c.name, fn, c.exe))
			if err != nil {
				return err
			}
			z, err := os.Stat(filepath.Join(out, "zip", c.name, fn+".zip"))
			if err != nil {
				return err
			}
			fmt.Printf("%-8s %-18s %12d %12d\n", c.name, fn, bin.Size(), z.Size())
		}
	}
	return nil
}

// check builds twice into two temporary folders and compares every file.
func check(targets []cloud, fns []string, words string) error {
	var outs [2]string
	for i := range outs {
		dir, err := os.MkdirTemp("", "uriba-build-check-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if err := build(dir, targets, fns, words); err != nil {
			return err
		}
		outs[i] = dir
	}
	var compared int
	err := filepath.WalkDir(outs[0], func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(outs[0], path)
		a, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(outs[1], rel))
		if err != nil {
			return fmt.Errorf("%s is missing from the second build", rel)
		}
		if !bytes.Equal(a, b) {
			return fmt.Errorf("%s differs between two builds of the same sources", rel)
		}
		compared++
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("two builds gave the same bytes (%d files)\n", compared)
	return nil
}
