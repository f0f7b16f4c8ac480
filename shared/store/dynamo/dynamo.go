// Package dynamo is uriba's store on Amazon DynamoDB, through aws-sdk-go-v2. It implements
// store.KV on one table.
//
// # Table
//
// The table has a string partition key "pk" and a string sort key "sk", on-demand capacity
// (PAY_PER_REQUEST) and DynamoDB's time to live on the attribute "expiresAt"; CreateTable makes
// it. A key in a directory, dir+name, is the item pk=dir (with its trailing '/'), sk=name, so
// that Scan of a directory is one Query of one partition, in the byte order of the names. A key
// without '/' is the item pk=key, sk="-"; its partition key never contains '/', so it cannot
// meet a directory's.
//
// An item holds a value as the binary attribute "v", with "expiresAt" (Unix seconds, the expiry
// rounded up to a whole second) when it expires, or a counter as the number attribute "n".
// DynamoDB deletes expired items only within a day or two, so every read compares expiresAt
// with the clock and treats an expired value as absent, and every conditional write counts it
// as absent too. The conditions rely on the clocks of the callers agreeing to a second.
//
// # Calls
//
// Reads are strongly consistent. PutIfAbsent and CompareAndSwap are conditional PutItems,
// Add is an UpdateItem with ADD, Max a conditional UpdateItem, each one request. AddMany sends
// one UpdateItem per key, up to 16 at a time, and is not atomic: TransactWriteItems would be,
// but it costs twice the capacity and is cancelled whenever another write touches one of its
// items, which hot counters do all the time; BatchWriteItem cannot add. The SDK retries
// throttling and network failures (3 attempts by default); an Add whose reply was lost may then
// be applied twice.
package dynamo

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/uriba-live/uriba/shared/awsclient"
	"github.com/uriba-live/uriba/shared/store"
)

// Attribute names.
const (
	attrPK      = "pk"
	attrSK      = "sk"
	attrValue   = "v"
	attrCount   = "n"
	attrExpires = "expiresAt"
	// attrWrite holds a random token of the conditional write that stored the item, so that a
	// write whose reply was lost, and which the SDK then retried, is recognised as applied.
	attrWrite = "w"
)

// soleName is the sort key of a key without directory.
const soleName = "-"

// parallelism is how many UpdateItem calls AddMany has in flight at most.
const parallelism = 16

// Store is a store.KV on one DynamoDB table.
type Store struct {
	client *dynamodb.Client
	table  string
	now    func() time.Time
}

var _ store.KV = (*Store)(nil)

// New returns a store on table through client.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table, now: time.Now}
}

// Open returns a store on table with a client of cfg (see package awsclient); a non-empty
// endpoint, such as a local DynamoDB-compatible server, replaces DynamoDB's. It does not contact
// DynamoDB.
func Open(cfg aws.Config, endpoint, table string) *Store {
	return New(dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = awsclient.Endpoint(endpoint) }), table)
}

// Close releases nothing: the client needs no closing. It is there for symmetry with the other
// stores.
func (s *Store) Close() error { return nil }

// CreateTable creates the store's table with its time to live, unless it exists, and waits
// until it is ready. It is meant for tests and development; deployments create the table from
// their templates.
func (s *Store) CreateTable(ctx context.Context) error {
	_, err := s.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(s.table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", s.table, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(s.client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)}, 5*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", s.table, err)
	}
	_, err = s.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(s.table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attrExpires),
			Enabled:       aws.Bool(true),
		},
	})
	// DynamoDB refuses to enable a time to live that is enabled already; dynalite does not know
	// the call. Either way reads ignore expired items.
	var apiErr smithy.APIError
	if err != nil && !(errors.As(err, &apiErr) &&
		(apiErr.ErrorCode() == "ValidationException" || apiErr.ErrorCode() == "UnknownOperationException")) {
		return fmt.Errorf("enable the time to live of table %s: %w", s.table, err)
	}
	return nil
}

// DeleteTable deletes the store's table, for tests.
func (s *Store) DeleteTable(ctx context.Context) error {
	_, err := s.client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(s.table)})
	return err
}

// itemKey returns the primary key of the item of key.
func itemKey(key string) map[string]types.AttributeValue {
	dir, name := store.Split(key)
	if dir == "" {
		dir, name = key, soleName
	}
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: dir},
		attrSK: &types.AttributeValueMemberS{Value: name},
	}
}

// nowValue is the current Unix second as an expression value.
func (s *Store) nowValue() types.AttributeValue {
	return number(s.now().Unix())
}

// expiresAt returns the Unix second a value written now with ttl expires at: the first whole
// second at or after the exact moment.
func (s *Store) expiresAt(ttl time.Duration) int64 {
	at := s.now().Add(ttl)
	sec := at.Unix()
	if at.Nanosecond() > 0 {
		sec++
	}
	return sec
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func binary(b []byte) types.AttributeValue {
	if b == nil {
		b = []byte{}
	}
	return &types.AttributeValueMemberB{Value: b}
}

// item is a decoded item. The zero item is absent.
type item struct {
	present   bool
	counter   bool
	value     []byte
	count     int64
	expiresAt int64 // Unix seconds; 0 for never
}

func (it item) live(now time.Time) bool {
	return it.present && (it.expiresAt == 0 || now.Unix() < it.expiresAt)
}

func decode(av map[string]types.AttributeValue) (item, error) {
	if len(av) == 0 {
		return item{}, nil
	}
	it := item{present: true}
	if e, ok := av[attrExpires].(*types.AttributeValueMemberN); ok {
		n, err := strconv.ParseInt(e.Value, 10, 64)
		if err != nil {
			return item{}, errors.New("damaged item: expiresAt is not a whole number")
		}
		it.expiresAt = n
	}
	switch v := av[attrValue].(type) {
	case *types.AttributeValueMemberB:
		it.value = v.Value
		if it.value == nil {
			it.value = []byte{}
		}
		return it, nil
	case nil:
	default:
		return item{}, errors.New("damaged item: v is not binary")
	}
	n, ok := av[attrCount].(*types.AttributeValueMemberN)
	if !ok {
		return item{}, errors.New("damaged item: neither a value nor a counter")
	}
	count, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return item{}, errors.New("damaged item: the counter is not an int64")
	}
	it.counter, it.count = true, count
	return it, nil
}

// load reads the item of key.
func (s *Store) load(ctx context.Context, op, key string) (item, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            itemKey(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return item{}, fail(op, key, err)
	}
	it, err := decode(out.Item)
	return it, fail(op, key, err)
}

// Get implements store.KV.
func (s *Store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	const op = "Get"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return nil, false, err
	}
	it, err := s.load(ctx, op, key)
	switch {
	case err != nil || !it.live(s.now()):
		return nil, false, err
	case it.counter:
		return nil, false, store.WrongKind(op, key)
	}
	return it.value, true, nil
}

// Counter implements store.KV.
func (s *Store) Counter(ctx context.Context, key string) (int64, error) {
	const op = "Counter"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return 0, err
	}
	it, err := s.load(ctx, op, key)
	switch {
	case err != nil || !it.live(s.now()):
		return 0, err
	case !it.counter:
		return 0, store.WrongKind(op, key)
	}
	return it.count, nil
}

// put writes a value item under condition, with values, and reports whether the condition held.
func (s *Store) put(ctx context.Context, op, key string, value []byte, ttl time.Duration, condition string,
	values map[string]types.AttributeValue) (bool, error) {
	av := itemKey(key)
	av[attrValue] = binary(value)
	if ttl > 0 {
		av[attrExpires] = number(s.expiresAt(ttl))
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}
	var token []byte
	if condition != "" {
		token = make([]byte, 16)
		_, _ = rand.Read(token)
		av[attrWrite] = &types.AttributeValueMemberB{Value: token}
		in.ConditionExpression = aws.String(condition)
		in.ExpressionAttributeValues = values
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	_, err := s.client.PutItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		// The SDK retries a call whose reply was lost with the same item: when the item that
		// made the condition fail carries this call's token, that earlier attempt was applied.
		w, ok := failed.Item[attrWrite].(*types.AttributeValueMemberB)
		return ok && bytes.Equal(w.Value, token), nil
	}
	return err == nil, fail(op, key, err)
}

// Put implements store.KV.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "Put"
	if err := check(ctx, op, key, store.CheckPut(op, key, value, ttl)); err != nil {
		return err
	}
	_, err := s.put(ctx, op, key, value, ttl, "", nil)
	return err
}

// PutIfAbsent implements store.KV.
func (s *Store) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	const op = "PutIfAbsent"
	if err := check(ctx, op, key, store.CheckPut(op, key, value, ttl)); err != nil {
		return false, err
	}
	return s.put(ctx, op, key, value, ttl, "attribute_not_exists(pk) OR expiresAt <= :now",
		map[string]types.AttributeValue{":now": s.nowValue()})
}

// CompareAndSwap implements store.KV.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	const op = "CompareAndSwap"
	if err := check(ctx, op, key, store.CheckPut(op, key, new, ttl)); err != nil {
		return false, err
	}
	return s.put(ctx, op, key, new, ttl, "v = :old AND (attribute_not_exists(expiresAt) OR expiresAt > :now)",
		map[string]types.AttributeValue{":old": binary(old), ":now": s.nowValue()})
}

// Delete implements store.KV.
func (s *Store) Delete(ctx context.Context, key string) (bool, error) {
	const op = "Delete"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return false, err
	}
	out, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:    aws.String(s.table),
		Key:          itemKey(key),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, fail(op, key, err)
	}
	it, err := decode(out.Attributes)
	return it.live(s.now()), fail(op, key, err)
}

// Add implements store.KV.
func (s *Store) Add(ctx context.Context, key string, delta int64) (int64, error) {
	const op = "Add"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return 0, err
	}
	return s.add(ctx, op, key, delta)
}

// add adds delta to the counter key. The condition refuses a live value and a sum beyond int64;
// the update turns an expired value into a counter.
func (s *Store) add(ctx context.Context, op, key string, delta int64) (int64, error) {
	return untilSettled(op, key, func() (int64, bool, error) { return s.addOnce(ctx, op, key, delta) })
}

// addOnce tries add once. It reports false, without error, when the condition failed because of
// a concurrent write, so that the caller tries again.
func (s *Store) addOnce(ctx context.Context, op, key string, delta int64) (int64, bool, error) {
	condition := "(attribute_not_exists(v) OR expiresAt <= :now)"
	values := map[string]types.AttributeValue{":d": number(delta), ":now": s.nowValue()}
	switch {
	case delta > 0:
		condition += " AND (attribute_not_exists(n) OR n <= :limit)"
		values[":limit"] = number(math.MaxInt64 - delta)
	case delta < 0:
		condition += " AND (attribute_not_exists(n) OR n >= :limit)"
		values[":limit"] = number(math.MinInt64 - delta)
	}
	attrs, old, refused, err := s.updateIf(ctx, op, key, "ADD n :d REMOVE v, expiresAt", condition, values, types.ReturnValueAllNew)
	if err != nil {
		return 0, true, err
	}
	if refused {
		switch {
		case old.live(s.now()) && !old.counter:
			return 0, true, store.WrongKind(op, key)
		case old.counter && ((delta > 0 && old.count > math.MaxInt64-delta) || (delta < 0 && old.count < math.MinInt64-delta)):
			return 0, true, store.Invalid(op, key, "the counter would overflow")
		}
		return 0, false, nil
	}
	it, err := decode(attrs)
	if err == nil && !it.counter {
		err = errors.New("the update returned no count")
	}
	return it.count, true, fail(op, key, err)
}

// maxAttempts is how many times add and Max try a condition that fails because of concurrent
// writes before giving up.
const maxAttempts = 20

// untilSettled calls once, which tries a conditional write, until it reports that it is done or
// fails, at most maxAttempts times; then it fails with raced.
func untilSettled(op, key string, once func() (n int64, done bool, err error)) (int64, error) {
	for range maxAttempts {
		n, done, err := once()
		if done || err != nil {
			return n, err
		}
	}
	return 0, raced(op, key)
}

// updateIf applies the update expression to key when the condition holds, and returns the
// attributes that returnValues asks for. When the condition does not hold it reports refused and
// returns the item that failed it.
func (s *Store) updateIf(ctx context.Context, op, key, update, condition string, values map[string]types.AttributeValue, returnValues types.ReturnValue) (attrs map[string]types.AttributeValue, old item, refused bool, err error) {
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 itemKey(key),
		UpdateExpression:                    aws.String(update),
		ConditionExpression:                 aws.String(condition),
		ExpressionAttributeValues:           values,
		ReturnValues:                        returnValues,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		old, err = s.oldItem(ctx, op, key, failed)
		return nil, old, true, err
	}
	if err != nil {
		return nil, item{}, false, fail(op, key, err)
	}
	return out.Attributes, item{}, false, nil
}

// raced is the error of a call whose condition kept failing because of concurrent writes.
func raced(op, key string) error {
	return &store.Error{Op: op, Key: key, Kind: store.ErrUnavailable, Detail: "the item kept changing"}
}

// oldItem returns the item a failed condition saw, from the failure when DynamoDB returned it
// there, or else read anew.
func (s *Store) oldItem(ctx context.Context, op, key string, failed *types.ConditionalCheckFailedException) (item, error) {
	if failed.Item != nil {
		it, err := decode(failed.Item)
		return it, fail(op, key, err)
	}
	return s.load(ctx, op, key)
}

// Max implements store.KV.
func (s *Store) Max(ctx context.Context, key string, v int64) (int64, error) {
	const op = "Max"
	if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
		return 0, err
	}
	return untilSettled(op, key, func() (int64, bool, error) { return s.maxOnce(ctx, op, key, v) })
}

// maxOnce tries Max once. It reports false, without error, when the condition failed because of
// a concurrent write, so that the caller tries again.
func (s *Store) maxOnce(ctx context.Context, op, key string, v int64) (int64, bool, error) {
	// A positive v also replaces an absent item or an expired value; 0 or less only a lower
	// counter, since an absent counter is 0 already.
	condition, update := "n < :v", "SET n = :v"
	if v > 0 {
		condition = "(attribute_not_exists(n) AND (attribute_not_exists(v) OR expiresAt <= :now)) OR n < :v"
		update = "SET n = :v REMOVE v, expiresAt"
	}
	values := map[string]types.AttributeValue{":v": number(v)}
	if v > 0 {
		values[":now"] = s.nowValue()
	}
	_, old, refused, err := s.updateIf(ctx, op, key, update, condition, values, "")
	switch {
	case err != nil:
		return 0, true, err
	case !refused:
		return v, true, nil
	case !old.live(s.now()):
		return 0, v <= 0, nil
	case !old.counter:
		return 0, true, store.WrongKind(op, key)
	}
	return old.count, old.count >= v, nil
}

// AddMany implements store.KV.
func (s *Store) AddMany(ctx context.Context, deltas map[string]int64) error {
	const op = "AddMany"
	for key := range deltas {
		if err := check(ctx, op, key, store.CheckKey(op, key)); err != nil {
			return err
		}
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		first     error
		unapplied []string
		slots     = make(chan struct{}, parallelism)
	)
	for key, delta := range deltas {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if _, err := s.add(ctx, op, key, delta); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				unapplied = append(unapplied, key)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return store.WithUnapplied(first, unapplied)
}

// Scan implements store.KV.
func (s *Store) Scan(ctx context.Context, dir, after string, limit int) ([]store.Item, error) {
	const op = "Scan"
	if err := check(ctx, op, dir, store.CheckScan(op, dir, after, limit)); err != nil {
		return nil, err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :dir"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":dir": &types.AttributeValueMemberS{Value: dir}},
	}
	if after != "" {
		in.KeyConditionExpression = aws.String("pk = :dir AND sk > :after")
		in.ExpressionAttributeValues[":after"] = &types.AttributeValueMemberS{Value: after[len(dir):]}
	}
	var items []store.Item
	for len(items) < limit {
		in.Limit = aws.Int32(int32(limit - len(items)))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fail(op, dir, err)
		}
		now := s.now()
		for _, av := range out.Items {
			name, _ := av[attrSK].(*types.AttributeValueMemberS)
			it, err := decode(av)
			if err == nil && name == nil {
				err = errors.New("damaged item: no sort key")
			}
			if err != nil {
				return nil, fail(op, dir, err)
			}
			if !it.live(now) {
				continue
			}
			items = append(items, store.Item{Key: dir + name.Value, Counter: it.counter, Value: it.value, Count: it.count})
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return items, nil
}

// check returns the refusal of a call, or an error for a context that has ended.
func check(ctx context.Context, op, key string, refusal error) error {
	if refusal != nil {
		return refusal
	}
	return store.Fail(op, key, ctx.Err(), nil)
}

func fail(op, key string, err error) error { return store.Fail(op, key, err, transient) }

// transient reports whether err is a failure that may pass: throttling, a server error, the
// network, or retries spent on any of those.
func transient(err error) bool {
	var (
		apiErr   smithy.APIError
		attempts *retry.MaxAttemptsError
		quota    ratelimit.QuotaExceededError
		resp     *smithyhttp.ResponseError
		netErr   net.Error
	)
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ProvisionedThroughputExceededException", "RequestLimitExceeded", "ThrottlingException",
			"InternalServerError", "ServiceUnavailable", "TransactionConflictException",
			"ReplicatedWriteConflictException":
			return true
		}
	}
	return errors.As(err, &attempts) || errors.As(err, &quota) || errors.As(err, &netErr) ||
		(errors.As(err, &resp) && resp.HTTPStatusCode() >= 500)
}
