// Package sqs carries activities through an Amazon SQS standard queue: Publisher sends them, one
// activity per message as JSON, and Consumer hands the batches Lambda receives from the queue to
// an Applier, reporting the messages to redeliver as batch item failures.
//
// A standard queue delivers every message at least once and in no guaranteed order; consumers
// deduplicate by Activity.ID (see package levels), so neither publisher retries nor redeliveries
// need care. The Lambda event source mapping must enable ReportBatchItemFailures.
package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/uriba-live/uriba/shared/awsclient"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue"
)

// MaxBatch is the most messages one SendMessageBatch call carries, SQS's limit.
const MaxBatch = 10

// parallelBatches bounds the SendMessageBatch calls of one Publish in flight at once.
const parallelBatches = 4

// API is the part of the SQS client the Publisher uses; *awssqs.Client has it.
type API interface {
	SendMessageBatch(ctx context.Context, in *awssqs.SendMessageBatchInput, opts ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error)
}

// Publisher sends activities to one SQS queue. It implements queue.Publisher.
type Publisher struct {
	api      API
	queueURL string
}

var _ queue.Publisher = (*Publisher)(nil)

// New returns a Publisher that sends to queueURL through api.
func New(api API, queueURL string) *Publisher {
	return &Publisher{api: api, queueURL: queueURL}
}

// NewClient returns an SQS client of cfg (see package awsclient); a non-empty endpoint, such as a
// local moto_server, replaces SQS's.
func NewClient(cfg aws.Config, endpoint string) *awssqs.Client {
	return awssqs.NewFromConfig(cfg, func(o *awssqs.Options) { o.BaseEndpoint = awsclient.Endpoint(endpoint) })
}

// PublishError reports the activities that were not handed over; see queue.PublishError.
type PublishError = queue.PublishError

// CodePublishFailed is the stable code of a *PublishError.
const CodePublishFailed = queue.CodePublishFailed

// Publish sends activities in SendMessageBatch calls of up to MaxBatch messages, a few calls at a
// time. Unlike the port's default, a failure is partial: the returned *PublishError names the
// activities that were not queued, and every other activity was.
func (p *Publisher) Publish(ctx context.Context, activities ...live.Activity) error {
	if len(activities) == 0 {
		return nil
	}
	bodies := make([]string, len(activities))
	delays := make([]int32, len(activities))
	now := time.Now()
	for i := range activities {
		delays[i] = delaySeconds(activities[i].NotBefore, now)
		b, err := json.Marshal(&activities[i])
		if err != nil {
			return fmt.Errorf("sqs: encode activity %q: %w", activities[i].ID, err)
		}
		bodies[i] = string(b)
	}
	failed := make([]bool, len(activities))
	var (
		mu    sync.Mutex
		cause error
		wg    sync.WaitGroup
	)
	note := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if cause == nil {
			cause = err
		}
	}
	sem := make(chan struct{}, parallelBatches)
	for start := 0; start < len(activities); start += MaxBatch {
		end := min(start+MaxBatch, len(activities))
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := p.send(ctx, bodies[start:end], delays[start:end], failed[start:end]); err != nil {
				note(err)
			}
		})
	}
	wg.Wait()
	var ids []string
	for i, f := range failed {
		if f {
			ids = append(ids, activities[i].ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return &PublishError{Transport: "sqs", Failed: ids, Err: cause}
}

// maxDelaySeconds is the longest delay SQS accepts for a message.
const maxDelaySeconds = 900

// delaySeconds is the whole seconds SQS holds a message due at notBefore: the seconds still to
// go, rounded down so that the message is never late (the consumer waits for the rest).
func delaySeconds(notBefore, now time.Time) int32 {
	if notBefore.IsZero() {
		return 0
	}
	return int32(min(max(notBefore.Sub(now)/time.Second, 0), maxDelaySeconds))
}

// send sends one batch and marks in failed the entries SQS did not accept.
func (p *Publisher) send(ctx context.Context, bodies []string, delays []int32, failed []bool) error {
	entries := make([]types.SendMessageBatchRequestEntry, len(bodies))
	for i := range bodies {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(bodies[i]), DelaySeconds: delays[i]}
	}
	out, err := p.api.SendMessageBatch(ctx, &awssqs.SendMessageBatchInput{QueueUrl: aws.String(p.queueURL), Entries: entries})
	if err != nil {
		for i := range failed {
			failed[i] = true
		}
		return err
	}
	var first error
	for _, f := range out.Failed {
		i, err := strconv.Atoi(aws.ToString(f.Id))
		if err != nil || i < 0 || i >= len(failed) {
			continue
		}
		failed[i] = true
		if first == nil {
			first = fmt.Errorf("SQS refused a message: %s: %s", aws.ToString(f.Code), aws.ToString(f.Message))
		}
	}
	// An entry SQS reports neither as sent nor as failed was not confirmed: count it failed.
	if len(out.Successful)+len(out.Failed) < len(bodies) {
		confirmed := make([]bool, len(bodies))
		for _, s := range out.Successful {
			if i, err := strconv.Atoi(aws.ToString(s.Id)); err == nil && i >= 0 && i < len(bodies) {
				confirmed[i] = true
			}
		}
		for i := range confirmed {
			if !confirmed[i] && !failed[i] {
				failed[i] = true
				if first == nil {
					first = errors.New("SQS confirmed neither success nor failure of a message")
				}
			}
		}
	}
	return first
}
