package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/uriba-live/uriba/shared/live"
)

// IdempotencyKeyHeader is the request header that makes a mutating call safe to repeat, and
// ReplayedHeader the response header that marks a stored answer given again.
const (
	IdempotencyKeyHeader = "Idempotency-Key"
	ReplayedHeader       = "Idempotent-Replayed"
	// MaxIdempotencyKeyBytes bounds an Idempotency-Key: 1 to 255 bytes of printable ASCII.
	MaxIdempotencyKeyBytes = 255
)

// Defaults of Idempotency.
const (
	DefaultIdempotencyTTL = 24 * time.Hour
	DefaultInProgressTTL  = time.Minute
)

// IdempotencyStore is the part of the store the middleware uses. store.KV has these methods with
// these signatures.
type IdempotencyStore interface {
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (created bool, err error)
	CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (swapped bool, err error)
	Delete(ctx context.Context, key string) (existed bool, err error)
}

// Idempotency makes mutating endpoints honour the Idempotency-Key header. The first request
// with a key runs; its answer (status, the headers that describe the body, and the body) is
// stored for TTL with the SHA-256 of the request body. A repeat with the same body gets the
// stored answer with "Idempotent-Replayed: true" and runs nothing; a repeat with another body is
// refused with EIdempotencyReuse (422). While the first request runs, a repeat gets EConflict
// (409): an "in progress" record, written with PutIfAbsent, lets exactly one of concurrent
// requests run.
//
// Answers a retry may change are not stored, and their in-progress record is removed so that a
// retry runs again: server errors (5xx), conflicts (409, such as another change of the same room
// in progress) and 429. Every other answer, refusals of bad input included, is stored.
//
// A key belongs to its caller, as authentication put it in the request's context (see
// CallerFrom): the record key is derived from the SHA-256 of the merchant key (or the viewer's
// user ID), the method, the path and the Idempotency-Key, so that callers can neither see nor
// block each other's answers. Requests without the header run as usual, and so does everything
// when Store is nil; a request with the header but without a caller is an internal error.
type Idempotency struct {
	Store IdempotencyStore
	// TTL is how long an answer is kept; DefaultIdempotencyTTL (24 h) when zero.
	TTL time.Duration
	// InProgressTTL bounds the in-progress record, so that a process that dies mid-request does
	// not block its key for long; DefaultInProgressTTL when zero. It must outlast the slowest
	// request.
	InProgressTTL time.Duration
	// Logger receives failures to store an answer, which the caller does not see; nil discards
	// them.
	Logger *slog.Logger
}

// storedHeaders are the response headers kept with an answer.
var storedHeaders = []string{"Content-Type", "Content-Language", "Location", "ETag", "X-Content-Type-Options"}

// idempotencyRecord is what the store holds under a record key.
type idempotencyRecord struct {
	// Token identifies the request that runs, while State is "running".
	State      string      `json:"state"`
	Token      string      `json:"token,omitempty"`
	BodySHA256 string      `json:"bodySha256"`
	Status     int         `json:"status,omitempty"`
	Header     http.Header `json:"header,omitempty"`
	Body       []byte      `json:"body,omitempty"`
}

const (
	stateRunning = "running"
	stateDone    = "done"
)

// Wrap returns h with idempotency. Put it inside authentication (MerchantKeys.Require or
// Viewers.Require), which makes the caller known.
func (i Idempotency) Wrap(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		values := r.Header.Values(IdempotencyKeyHeader)
		if i.Store == nil || len(values) == 0 {
			return h(w, r)
		}
		if len(values) > 1 {
			return live.Errorf(live.EInvalid, "Send one Idempotency-Key header, not %d.", len(values))
		}
		key := values[0]
		if err := ValidateIdempotencyKey(key); err != nil {
			return err
		}
		caller, ok := CallerFrom(r.Context())
		if !ok {
			// Without a caller, keys would be shared by everyone: refuse rather than mix answers.
			return errors.New("httpapi: Idempotency.Wrap is not inside authentication")
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		bodySHA := hex.EncodeToString(sum[:])
		recordKey := idempotencyRecordKey(caller, r, key)

		marker, err := json.Marshal(idempotencyRecord{State: stateRunning, Token: newToken(), BodySHA256: bodySHA})
		if err != nil {
			return err
		}
		for attempt := 0; ; attempt++ {
			raw, ok, err := i.Store.Get(r.Context(), recordKey)
			if err != nil {
				return err
			}
			if ok {
				return i.answerRepeat(w, raw, bodySHA)
			}
			if attempt == 3 {
				return errors.New("httpapi: idempotency record keeps vanishing")
			}
			created, err := i.Store.PutIfAbsent(r.Context(), recordKey, marker, i.inProgressTTL())
			if err != nil {
				return err
			}
			if created {
				break
			}
		}
		return i.runFirst(w, r, h, recordKey, marker, bodySHA)
	}
}

// ValidateIdempotencyKey checks an Idempotency-Key: 1 to 255 bytes of printable ASCII.
func ValidateIdempotencyKey(key string) error {
	if key == "" || len(key) > MaxIdempotencyKeyBytes {
		return live.Errorf(live.EInvalid, "Idempotency-Key must be 1 to %d bytes long.", MaxIdempotencyKeyBytes)
	}
	for j := 0; j < len(key); j++ {
		if key[j] < 0x20 || key[j] > 0x7e {
			return live.Errorf(live.EInvalid, "Idempotency-Key must be printable ASCII.")
		}
	}
	return nil
}

// answerRepeat answers a request whose key already has a record.
func (i Idempotency) answerRepeat(w http.ResponseWriter, raw []byte, bodySHA string) error {
	var rec idempotencyRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return err
	}
	if rec.BodySHA256 != bodySHA {
		return live.Errorf(live.EIdempotencyReuse, "This Idempotency-Key was used with another request body; use a new key for a new request.")
	}
	if rec.State != stateDone {
		return live.Errorf(live.EConflict, "A request with this Idempotency-Key is in progress; retry when it has finished.")
	}
	for k, v := range rec.Header {
		w.Header()[k] = v
	}
	w.Header().Set(ReplayedHeader, "true")
	w.WriteHeader(rec.Status)
	_, err := w.Write(rec.Body)
	return err
}

// runFirst runs the first request of a key and stores its answer when it may be replayed.
func (i Idempotency) runFirst(w http.ResponseWriter, r *http.Request, h HandlerFunc, recordKey string, marker []byte, bodySHA string) error {
	rec := newBufferedWriter()
	herr := h(rec, r)
	status := rec.statusCode()
	if herr != nil {
		status = StatusFor(live.ErrorCode(herr))
	}
	if storable(status) {
		answer := rec
		if herr != nil {
			// Store the problem document the Router will write for herr.
			answer = newBufferedWriter()
			WriteError(answer, herr)
		}
		done, err := json.Marshal(idempotencyRecord{State: stateDone, BodySHA256: bodySHA, Status: answer.statusCode(),
			Header: keptHeaders(answer.header), Body: answer.body.Bytes()})
		if err == nil {
			i.detached(r.Context(), func(ctx context.Context) error {
				swapped, err := i.Store.CompareAndSwap(ctx, recordKey, marker, done, i.ttl())
				if err == nil && !swapped {
					err = errors.New("the in-progress record was replaced before the answer was stored")
				}
				return err
			})
		} else {
			i.log().Error("httpapi: cannot encode an idempotent answer", "err", err)
		}
	} else {
		i.detached(r.Context(), func(ctx context.Context) error {
			_, err := i.Store.Delete(ctx, recordKey)
			return err
		})
	}
	if herr != nil {
		return herr
	}
	return rec.copyTo(w)
}

// storable reports whether an answer with status may be replayed.
func storable(status int) bool {
	return status < 500 && status != http.StatusConflict && status != http.StatusTooManyRequests
}

// detached runs a store call that must happen even when the caller has gone away, and logs its
// failure: the answer is on its way to the caller regardless.
func (i Idempotency) detached(ctx context.Context, f func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		i.log().Error("httpapi: idempotency record not updated; the key stays blocked until its in-progress record expires", "err", err)
	}
}

func (i Idempotency) ttl() time.Duration {
	if i.TTL > 0 {
		return i.TTL
	}
	return DefaultIdempotencyTTL
}

func (i Idempotency) inProgressTTL() time.Duration {
	if i.InProgressTTL > 0 {
		return i.InProgressTTL
	}
	return DefaultInProgressTTL
}

func (i Idempotency) log() *slog.Logger {
	if i.Logger != nil {
		return i.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// idempotencyRecordKey derives the store key of a request's record from its caller, method,
// path and Idempotency-Key. It is in no store directory.
func idempotencyRecordKey(c Caller, r *http.Request, key string) string {
	h := sha256.New()
	if c.Role == RoleMerchant {
		h.Write([]byte("merchant\x00"))
		h.Write(c.KeySHA256[:])
	} else {
		h.Write([]byte("user\x00"))
		h.Write([]byte(c.UserID))
	}
	for _, part := range []string{r.Method, r.URL.EscapedPath(), key} {
		h.Write([]byte{0})
		h.Write([]byte(part))
	}
	return "idempotency#" + hex.EncodeToString(h.Sum(nil))
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func keptHeaders(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range storedHeaders {
		if v := h.Values(k); len(v) > 0 {
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

// bufferedWriter holds an answer until it is known whether it is stored.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedWriter() *bufferedWriter { return &bufferedWriter{header: http.Header{}} }

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) statusCode() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

func (b *bufferedWriter) copyTo(w http.ResponseWriter) error {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.statusCode())
	_, err := w.Write(b.body.Bytes())
	return err
}
