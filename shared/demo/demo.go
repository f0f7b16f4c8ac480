// Package demo serves the browser demo of a live room: the merchant console at / and the viewer
// page and their assets under /demo/. The pages are plain HTML, CSS and JavaScript modules,
// embedded in the binary; they talk only to uriba's HTTP API and to the IM stand-in's viewer API,
// as a real app talks to uriba and to IM.
package demo

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/uriba-live/uriba/shared/httpapi"
	"github.com/uriba-live/uriba/shared/live"
)

//go:embed web
var files embed.FS

// Patterns are where the demo is served: the console at exactly /, everything else under /demo/.
var Patterns = []string{"GET /{$}", "GET /demo/"}

// Mount serves the demo through mount, once per pattern of Patterns.
func Mount(mount func(pattern string, h http.Handler)) {
	h := Handler()
	for _, p := range Patterns {
		mount(p, h)
	}
}

// asset is one file, with its gzip form when that is smaller.
type asset struct {
	body, gzipped []byte
	contentType   string
}

// Handler serves the demo's files: / is index.html, /demo/<name> is web/<name>. Files are sent
// gzipped to browsers that accept it, and revalidated on every load so that a new build shows at
// once.
func Handler() http.Handler {
	web, _ := fs.Sub(files, "web")
	assets := make(map[string]asset)
	_ = fs.WalkDir(web, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(web, name)
		if err != nil {
			return err
		}
		a := asset{body: body, contentType: mime.TypeByExtension(path.Ext(name))}
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		_, _ = w.Write(body)
		_ = w.Close()
		if z.Len() < len(body) {
			a.gzipped = z.Bytes()
		}
		assets[name] = a
		return nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := "index.html"
		if r.URL.Path != "/" {
			name = strings.TrimPrefix(r.URL.Path, "/demo/")
		}
		a, ok := assets[name]
		if !ok {
			httpapi.WriteError(w, live.Errorf(live.ENotFound, "The demo has no file %q.", name))
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		h.Add("Vary", "Accept-Encoding")
		body := a.body
		if a.gzipped != nil && acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = a.gzipped
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if strings.TrimSpace(strings.SplitN(part, ";", 2)[0]) == "gzip" {
			return true
		}
	}
	return false
}
