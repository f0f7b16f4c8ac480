package standin

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"testing"
)

// zeroBombSig returns a UserSig, encoded as UserSigs are, whose zlib stream inflates to n zero
// bytes.
func zeroBombSig(t *testing.T, n int) string {
	t.Helper()
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, zlib.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	enc := base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-").WithPadding('_')
	return enc.EncodeToString(b.Bytes())
}

// heapDuring returns the bytes the heap handed out while f ran, in the whole process.
func heapDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestDecompressionBombUserSigIsRefusedCheaply(t *testing.T) {
	h := newHarness(t).start()
	h.importAccount("bob", "")
	h.createGroup("room-1")
	bomb := zeroBombSig(t, 64<<20) // 64 MiB of zeros in about 87 KB
	// A request costs some heap of its own (the 87 KB header is read and copied); inflating the
	// bomb would cost over 64 MiB.
	const budget = 4 << 20

	t.Run("viewer API", func(t *testing.T) {
		var status int
		var body clientError
		used := heapDuring(func() {
			req, err := http.NewRequest(http.MethodPost, h.srv.URL+groupPath("room-1")+"/members", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "UserSig "+bomb)
			req.Header.Set("X-User-Id", "bob")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			status = resp.StatusCode
			data, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(data, &body); err != nil {
				t.Fatalf("answer %q: %v", data, err)
			}
		})
		t.Logf("a %d-byte bomb: HTTP %d %+v, %d bytes of heap", len(bomb), status, body, used)
		if status != http.StatusUnauthorized || body.Code != codeSigInvalid {
			t.Errorf("got HTTP %d %+v, want 401 with code %d", status, body, codeSigInvalid)
		}
		if used > budget {
			t.Errorf("the request cost %d bytes of heap, want under %d", used, budget)
		}
	})

	t.Run("REST API", func(t *testing.T) {
		q := h.adminQuery()
		q.Set("usersig", bomb)
		var code int
		used := heapDuring(func() {
			r, _ := h.raw(http.MethodPost, cmdAccountImport, q, []byte(`{"UserID":"carol"}`))
			code = r.ErrorCode
		})
		t.Logf("a %d-byte bomb: ErrorCode %d, %d bytes of heap", len(bomb), code, used)
		if code != codeSigInvalid {
			t.Errorf("got ErrorCode %d, want %d", code, codeSigInvalid)
		}
		if used > budget {
			t.Errorf("the request cost %d bytes of heap, want under %d", used, budget)
		}
	})
}
