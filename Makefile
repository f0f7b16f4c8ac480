# Builds uriba's functions for AWS Lambda (arm64, provided.al2023) and Tencent SCF (amd64), and runs
# the dev server and the tests.

FUNCTIONS := pushurl imcallback levelupdater productpublisher giftbroadcaster streamender
GOFLAGS_RELEASE := -trimpath -ldflags='-s -w'
# Each cloud's binaries leave out the other cloud's runtime, store and queue clients, and bolt.
LAMBDA_TAGS := lambda.norpc,no_redis,no_scf,no_bolt
SCF_TAGS := no_dynamodb,no_sqs,no_lambda,no_bolt

.PHONY: dev test lambda scf clean FORCE build-PushUrlFunction build-ImCallbackFunction build-LevelUpdaterFunction build-ProductPublisherFunction build-GiftBroadcasterFunction build-StreamEnderFunction

dev:
	go run ./scripts/dev

test:
	scripts/test

lambda: $(addprefix dist/lambda/,$(addsuffix /bootstrap,$(FUNCTIONS)))

dist/lambda/%/bootstrap: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_RELEASE) -tags $(LAMBDA_TAGS) -o $@ ./functions/$*

scf: $(addprefix dist/scf/,$(addsuffix /main,$(FUNCTIONS)))

# HTTP functions run as SCF web functions, started by scf_bootstrap; levelupdater is an event
# function (asynchronous invocations) and streamender one (a timer), which need no bootstrap.
dist/scf/%/main: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build $(GOFLAGS_RELEASE) -tags $(SCF_TAGS) -o $@ ./functions/$*
	if [ "$*" != levelupdater ] && [ "$*" != streamender ]; then install -m 0755 scripts/scf_bootstrap $(dir $@)scf_bootstrap; fi

# sam build calls build-<LogicalId> with ARTIFACTS_DIR set.
LAMBDA_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_RELEASE) -tags $(LAMBDA_TAGS) -o $(ARTIFACTS_DIR)/bootstrap
build-PushUrlFunction:
	$(LAMBDA_BUILD) ./functions/pushurl
build-ImCallbackFunction:
	$(LAMBDA_BUILD) ./functions/imcallback
build-LevelUpdaterFunction:
	$(LAMBDA_BUILD) ./functions/levelupdater
build-ProductPublisherFunction:
	$(LAMBDA_BUILD) ./functions/productpublisher
build-GiftBroadcasterFunction:
	$(LAMBDA_BUILD) ./functions/giftbroadcaster
build-StreamEnderFunction:
	$(LAMBDA_BUILD) ./functions/streamender

clean:
	rm -rf dist

FORCE:
