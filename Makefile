# Builds uriba's functions for AWS Lambda (arm64, provided.al2023) and Tencent SCF (amd64), and runs
# the dev server and the tests. scripts/build does the building (see its documentation): it writes
# dist/lambda/<fn>/bootstrap, dist/scf/<fn>/main (and scf_bootstrap for web functions) and their
# zip packages under dist/zip/, reproducibly. WORDS=path/to/words.txt packages a moderation word
# list, compiled, with imcallback.

BUILD := go run ./scripts/build $(if $(WORDS),-words $(WORDS))

.PHONY: build lambda scf dev test clean build-PushUrlFunction build-ImCallbackFunction build-LevelUpdaterFunction build-ProductPublisherFunction build-GiftBroadcasterFunction build-StreamEnderFunction

build:
	$(BUILD)

lambda:
	$(BUILD) -cloud lambda

scf:
	$(BUILD) -cloud scf

dev:
	go run ./scripts/dev

test:
	scripts/test

# sam build calls build-<LogicalId> with ARTIFACTS_DIR set, when a function's BuildMethod is
# makefile: each target builds that function's Lambda folder and copies it there.
define sam_target
build-$(1):
	$$(BUILD) -cloud lambda -only $(2)
	cp -p dist/lambda/$(2)/* $$(ARTIFACTS_DIR)/
endef
$(eval $(call sam_target,PushUrlFunction,pushurl))
$(eval $(call sam_target,ImCallbackFunction,imcallback))
$(eval $(call sam_target,LevelUpdaterFunction,levelupdater))
$(eval $(call sam_target,ProductPublisherFunction,productpublisher))
$(eval $(call sam_target,GiftBroadcasterFunction,giftbroadcaster))
$(eval $(call sam_target,StreamEnderFunction,streamender))

clean:
	rm -rf dist
