// Package queue carries viewer activities from the IM callback to the code that credits them
// (levels, summaries). Publisher is the port; one package per transport implements it: inproc (a
// bounded in-process queue, for development and single-process deployments), sqs (AWS) and scf
// (asynchronous invocation on Tencent SCF). Package configured picks one from configuration.
package queue

import (
	"context"
	"fmt"
	"strings"

	"github.com/uriba-live/uriba/shared/live"
)

// Publisher hands activities to a queue. A nil error means the queue accepted all of them; an
// error means it accepted none, unless the transport documents otherwise. Consumers must accept
// redelivered activities: Activity.ID identifies each one.
type Publisher interface {
	Publish(ctx context.Context, activities ...live.Activity) error
}

// Applier credits a batch of activities delivered by a queue and returns the IDs of those to
// redeliver; *levels.Updater is one.
type Applier interface {
	Apply(ctx context.Context, batch []live.Activity) (failed []string, err error)
}

// Stable error codes of queue failures.
const (
	// CodeFull means the queue had no room for the activities before the caller's context ended.
	CodeFull = "queue_full"
	// CodeClosed means the queue was closed.
	CodeClosed = "queue_closed"
	// CodePublishFailed means a transport accepted some activities and not others.
	CodePublishFailed = "queue_publish_failed"
)

// PublishError reports the activities a transport did not accept; it accepted the others.
// Publishing the failed ones again, or all of them, is safe: consumers deduplicate by ID.
type PublishError struct {
	// Transport names the transport, such as "sqs" or "scf".
	Transport string
	// Failed lists the IDs of the activities not accepted, in the order given.
	Failed []string
	// Err is the first cause.
	Err error
}

// Error names the failed activities, at most ten of them.
func (e *PublishError) Error() string {
	ids, more := e.Failed, ""
	if len(ids) > 10 {
		ids, more = ids[:10], fmt.Sprintf(" and %d more", len(e.Failed)-10)
	}
	return fmt.Sprintf("%s: %d activities not accepted (%s%s): %v", e.Transport, len(e.Failed), strings.Join(ids, ", "), more, e.Err)
}

// Unwrap returns the first cause.
func (e *PublishError) Unwrap() error { return e.Err }

// ErrorCode returns CodePublishFailed.
func (e *PublishError) ErrorCode() string { return CodePublishFailed }

// Errors every transport reports the same way. Match them with errors.Is.
var (
	// ErrFull is returned when a bounded queue stays full until the caller's context ends.
	ErrFull = &live.Error{Code: CodeFull, Message: "The activity queue is full."}
	// ErrClosed is returned by Publish after Close.
	ErrClosed = &live.Error{Code: CodeClosed, Message: "The activity queue is closed."}
)

// Discard is a Publisher that accepts activities and drops them, for functions configured without
// a queue.
type Discard struct{}

// Publish accepts and drops activities.
func (Discard) Publish(context.Context, ...live.Activity) error { return nil }
