# firedrill: disaster-recovery drills that run for real and measure themselves.
# `make help` lists the targets.

GO            ?= go
PROFILE       ?= quarterly
TAGS          ?=
PLAN          ?= docs/dr-plan.md
SYSTEM        ?= systems/reference.yml
FIREDRILL_SAMPLES ?= $(abspath fixtures/samples)
GOLANGCI_LINT_VERSION ?= v2.15.0
BIN           := bin
FIREDRILL     := $(BIN)/firedrill
# go test's own limit; the drills end themselves 45 s before it.
TEST_TIMEOUT  ?= 60m

export FIREDRILL_SAMPLES

.PHONY: help images test unit drills drill smoke clean lint bench build

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build the firedrill command into bin/
	@mkdir -p $(BIN)
	$(GO) build -o $(FIREDRILL) ./cmd/firedrill

images: build ## build every image offline (only what changed)
	$(FIREDRILL) images

# make test's two steps; make soak repeats them.
UNIT_TESTS    = $(GO) test -count=1 $$($(GO) list ./... | grep -v /steps)
DRILL_TESTS   = FIREDRILL_PROFILE=ci FIREDRILL_TAGS='$(TAGS)' $(GO) test -count=1 -timeout $(TEST_TIMEOUT) -v ./steps -run 'TestFeaturesFollowThePlan|TestPlanCheckCatchesDrift|TestDrills|TestCalibration|TestEngine'

test: images ## unit and safety tests, then every feature against real containers (profile ci)
	$(UNIT_TESTS)
	$(DRILL_TESTS)

unit: ## unit tests only (no Docker)
	$(GO) test -short -count=1 $$($(GO) list ./... | grep -v /steps)

smoke: images ## the @smoke features only
	FIREDRILL_TAGS=@smoke $(GO) test -count=1 -timeout $(TEST_TIMEOUT) -v ./steps -run TestDrills

drill: images ## the quarterly drills at the plan's cadences; writes the plan's actuals (PROFILE=ci for a fast run)
	$(FIREDRILL) run --profile $(PROFILE) --plan $(PLAN) --system $(SYSTEM) \
		--tags '$(if $(TAGS),$(TAGS),@quarterly)' $(if $(filter quarterly,$(PROFILE)),--update-plan,)

drill-ci: ## alias: make drill PROFILE=ci
	$(MAKE) drill PROFILE=ci

clean: build ## remove every container, network and volume labelled firedrill.run
	$(FIREDRILL) clean

lint: ## golangci-lint (pinned) with the layer rules in .golangci.yml
	@command -v $(BIN)/golangci-lint >/dev/null 2>&1 || GOBIN=$(abspath $(BIN)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	$(BIN)/golangci-lint run ./...
	gofmt -l . | (! grep .)

N ?= 10
.PHONY: soak
# make soak: make test's two steps N times. make soak PROFILE=quarterly: the
# whole `make drill` N times, each on a fresh copy of the plan (the plan
# itself is left as it was).
SOAK_PROFILE = $(if $(filter command line environment,$(origin PROFILE)),$(PROFILE),ci)
soak: images ## make test's two steps N times in a row (N=10); PROFILE=quarterly soaks make drill on a copy of the plan
	@pass=0; began=$$(date -u +%FT%TZ); \
	for i in $$(seq 1 $(N)); do \
		echo "== soak ($(SOAK_PROFILE)): run $$i of $(N) ($$(date -u +%T))"; \
		if [ "$(SOAK_PROFILE)" = ci ]; then \
			$(UNIT_TESTS) && $(DRILL_TESTS); \
		else \
			copy=$$(mktemp --suffix=.md) && cp $(PLAN) $$copy && \
			$(FIREDRILL) run --profile $(SOAK_PROFILE) --plan $$copy --system $(SYSTEM) \
				--tags '$(if $(TAGS),$(TAGS),@quarterly)' --update-plan --automate-manual; \
		fi; \
		rc=$$?; rm -f "$${copy:-}"; \
		if [ $$rc -eq 0 ]; then \
			pass=$$((pass + 1)); \
		else \
			echo "soak ($(SOAK_PROFILE)): $$pass of $(N) runs passed (from $$began); run $$i failed (exit $$rc)"; exit 1; \
		fi; \
	done; \
	echo "soak ($(SOAK_PROFILE)): $$pass of $(N) runs passed, $$began to $$(date -u +%FT%TZ)"

RUNS          ?= 3
COLD          ?=

bench: images ## measure against plain Docker tools; writes reports/bench/<date>.md (RUNS=3; COLD=1 adds cold image builds; ONLY=spinup,rto...)
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/firedrill-bench ./cmd/firedrill-bench
	$(BIN)/firedrill-bench --runs $(RUNS) $(if $(filter 1,$(COLD)),--cold,) $(if $(ONLY),--only $(ONLY),)
