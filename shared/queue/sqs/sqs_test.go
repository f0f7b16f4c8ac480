package sqs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/uriba-live/uriba/shared/awsclient"
	"github.com/uriba-live/uriba/shared/config"
	"github.com/uriba-live/uriba/shared/levels/levelstest"
	"github.com/uriba-live/uriba/shared/live"
	"github.com/uriba-live/uriba/shared/queue/sqs"
)

var t0 = time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)

func activity(i int, user string) live.Activity {
	return live.Activity{ID: fmt.Sprintf("room-1/%d", i), RoomID: "room-1", UserID: user, Kind: live.KindGift,
		Amount: int64(i), At: t0.Add(time.Duration(i) * time.Millisecond)}
}

// fakeSQS records SendMessageBatch calls and refuses the messages whose activity ID is in refuse,
// and every call while down is set.
type fakeSQS struct {
	mu     sync.Mutex
	calls  [][]string
	refuse map[string]bool
	down   bool
}

func (f *fakeSQS) SendMessageBatch(_ context.Context, in *awssqs.SendMessageBatchInput, _ ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(in.Entries) > sqs.MaxBatch {
		return nil, fmt.Errorf("%d entries in one batch", len(in.Entries))
	}
	var ids []string
	out := &awssqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		a, err := sqs.DecodeActivity(aws.ToString(e.MessageBody))
		if err != nil {
			return nil, err
		}
		ids = append(ids, a.ID)
		if f.refuse[a.ID] {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("try again")})
		} else {
			out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("m-" + a.ID)})
		}
	}
	f.calls = append(f.calls, ids)
	if f.down {
		return nil, errors.New("connection refused")
	}
	return out, nil
}

func TestPublishSendsBatchesOfTen(t *testing.T) {
	api := &fakeSQS{}
	var batch []live.Activity
	for i := range 25 {
		batch = append(batch, activity(i, "alice"))
	}
	if err := sqs.New(api, "https://sqs.example/q").Publish(context.Background(), batch...); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	var all []string
	for _, c := range api.calls {
		sizes = append(sizes, len(c))
		all = append(all, c...)
	}
	sort.Ints(sizes)
	sort.Strings(all)
	want := make([]string, 25)
	for i := range want {
		want[i] = batch[i].ID
	}
	sort.Strings(want)
	if !slices.Equal(sizes, []int{5, 10, 10}) || !slices.Equal(all, want) {
		t.Errorf("calls of sizes %v carrying %v", sizes, all)
	}
}

func TestPublishNamesTheActivitiesNotQueued(t *testing.T) {
	api := &fakeSQS{refuse: map[string]bool{"room-1/3": true, "room-1/17": true}}
	var batch []live.Activity
	for i := range 20 {
		batch = append(batch, activity(i, "alice"))
	}
	err := sqs.New(api, "q").Publish(context.Background(), batch...)
	var pe *sqs.PublishError
	if !errors.As(err, &pe) || !slices.Equal(pe.Failed, []string{"room-1/3", "room-1/17"}) {
		t.Fatalf("err %v, want a PublishError naming room-1/3 and room-1/17", err)
	}
	if live.ErrorCode(err) != sqs.CodePublishFailed {
		t.Errorf("code %q", live.ErrorCode(err))
	}

	api = &fakeSQS{down: true}
	err = sqs.New(api, "q").Publish(context.Background(), batch[:3]...)
	if !errors.As(err, &pe) || len(pe.Failed) != 3 {
		t.Fatalf("err %v, want all three activities failed", err)
	}
}

// applier records batches and fails the activities of one user.
type applier struct {
	batches  [][]live.Activity
	failUser string
}

func (a *applier) Apply(_ context.Context, batch []live.Activity) ([]string, error) {
	a.batches = append(a.batches, batch)
	var failed []string
	for _, x := range batch {
		if x.UserID == a.failUser {
			failed = append(failed, x.ID)
		}
	}
	if len(failed) > 0 {
		return failed, errors.New("store unavailable")
	}
	return nil, nil
}

func message(id string, a live.Activity) events.SQSMessage {
	b, _ := json.Marshal(a)
	return events.SQSMessage{MessageId: id, Body: string(b), EventSource: "aws:sqs"}
}

func TestMalformedMessagesDoNotPoisonTheBatch(t *testing.T) {
	app := &applier{failUser: "carol"}
	event := events.SQSEvent{Records: []events.SQSMessage{
		message("m1", activity(1, "alice")),
		{MessageId: "m2", Body: "not json"},
		message("m3", activity(3, "carol")),
		{MessageId: "m4", Body: `{"id":"x","kind":"like"}`}, // no user
		message("m5", activity(5, "bob")),
		message("m6", activity(3, "carol")), // a duplicate of m3
	}}
	resp, err := sqs.Consumer{Applier: app}.HandleSQS(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	sort.Strings(got)
	if !slices.Equal(got, []string{"m2", "m3", "m4", "m6"}) {
		t.Errorf("batch item failures %v, want the malformed m2, m4 and carol's m3, m6", got)
	}
	if len(app.batches) != 1 || len(app.batches[0]) != 4 {
		t.Errorf("Apply got %d batches, want one of the 4 decodable activities", len(app.batches))
	}
}

func TestHandleAndIsEvent(t *testing.T) {
	raw, err := os.ReadFile("../../platform/testdata/sqs-event.json")
	if err != nil {
		t.Fatal(err)
	}
	if !sqs.IsEvent(raw) || sqs.IsEvent([]byte(`{"activities":[]}`)) || sqs.IsEvent([]byte(`[]`)) {
		t.Error("IsEvent misjudges events")
	}
	reply, err := sqs.Consumer{Applier: &applier{}}.Handle(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(reply)
	if string(b) != `{"batchItemFailures":[{"itemIdentifier":"MessageID_1"}]}` {
		t.Errorf("reply %s, want the malformed sample message reported", b)
	}
}

// sqsEndpoint returns the SQS endpoint of a test server, skipping the test when there is none
// (failing it when URIBA_INTEGRATION is set).
func sqsEndpoint(t *testing.T) string {
	for _, name := range []string{"URIBA_TEST_SQS_ENDPOINT", "URIBA_TEST_DYNAMODB_ENDPOINT"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	if os.Getenv("URIBA_INTEGRATION") != "" {
		t.Fatal("URIBA_INTEGRATION is set but neither URIBA_TEST_SQS_ENDPOINT nor URIBA_TEST_DYNAMODB_ENDPOINT names an SQS server")
	}
	t.Skip("set URIBA_TEST_SQS_ENDPOINT (or URIBA_TEST_DYNAMODB_ENDPOINT: moto serves both) to run against a real SQS server")
	return ""
}

func TestThroughARealQueue(t *testing.T) {
	endpoint := sqsEndpoint(t)
	for name, def := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"} {
		if os.Getenv(name) == "" {
			t.Setenv(name, def)
		}
	}
	ctx := context.Background()
	client := sqs.NewClient(awsclient.Config(config.NewLoader(os.Getenv).AWS()), endpoint)
	created, err := client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("levels-" + strconv.FormatInt(time.Now().UnixNano(), 36))})
	if err != nil {
		t.Fatal(err)
	}
	queueURL := aws.ToString(created.QueueUrl)
	t.Cleanup(func() {
		_, _ = client.DeleteQueue(context.Background(), &awssqs.DeleteQueueInput{QueueUrl: aws.String(queueURL)})
	})

	var published []live.Activity
	want := map[string]int64{}
	for i := 1; i <= 25; i++ {
		a := activity(i, fmt.Sprintf("viewer-%d", i%4))
		published = append(published, a)
		want[a.UserID] += a.Amount
	}
	if err := sqs.New(client, queueURL).Publish(ctx, published...); err != nil {
		t.Fatal(err)
	}

	var event events.SQSEvent
	deadline := time.Now().Add(20 * time.Second)
	for len(event.Records) < 25 && time.Now().Before(deadline) {
		out, err := client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			event.Records = append(event.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), EventSource: "aws:sqs"})
		}
	}
	if len(event.Records) != 25 {
		t.Fatalf("received %d messages, want 25", len(event.Records))
	}
	event.Records = append(event.Records, events.SQSMessage{MessageId: "garbage", Body: "{"})

	u := levelstest.Updater(t)
	consumer := sqs.Consumer{Applier: u}
	for range 2 { // the second time stands for a redelivery of the whole batch
		resp, err := consumer.HandleSQS(ctx, event)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "garbage" {
			t.Fatalf("batch item failures %v, want only the malformed message", resp.BatchItemFailures)
		}
	}
	for user, xp := range want {
		l, err := u.Get(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		if l.XP != xp {
			t.Errorf("%s has %d XP, want %d", user, l.XP, xp)
		}
	}
}
