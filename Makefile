# Builds uriba's functions for AWS Lambda (arm64, provided.al2023) and Tencent SCF (amd64), and runs
# the dev server and the tests.

FUNCTIONS := pushurl
GOFLAGS_RELEASE := -trimpath -ldflags='-s -w'

.PHONY: dev test lambda scf clean build-PushUrlFunction FORCE

dev:
	go run ./scripts/dev

test:
	scripts/test

lambda: $(addprefix dist/lambda/,$(addsuffix /bootstrap,$(FUNCTIONS)))

dist/lambda/%/bootstrap: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_RELEASE) -tags lambda.norpc -o $@ ./functions/$*

scf: $(addprefix dist/scf/,$(addsuffix /main,$(FUNCTIONS)))

dist/scf/%/main: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build $(GOFLAGS_RELEASE) -o $@ ./functions/$*
	install -m 0755 scripts/scf_bootstrap $(dir $@)scf_bootstrap

# sam build calls build-<LogicalId> with ARTIFACTS_DIR set.
build-PushUrlFunction:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_RELEASE) -tags lambda.norpc -o $(ARTIFACTS_DIR)/bootstrap ./functions/pushurl

clean:
	rm -rf dist

FORCE:
