# ferry's developer targets. `make` runs `make test`, which is what CI runs.

# Build with the Go toolchain that is installed; never download another.
export GOTOOLCHAIN := local

GO ?= go
# staticcheck 2026.2.2, which supports Go 1.26.
STATICCHECK_VERSION ?= v0.8.2
# How long `make fuzz` runs.
FUZZTIME ?= 10m

# FERRY_CORPUS names a folder of real deployment repos that the corpus tests
# edit (they skip without it). Tests run in their package's directory, so a
# relative path is made absolute here: FERRY_CORPUS=../shared/corpus make test.
ifneq ($(strip $(FERRY_CORPUS)),)
export FERRY_CORPUS := $(abspath $(FERRY_CORPUS))
endif

.DEFAULT_GOAL := test
.PHONY: test demo e2e api-desc release-snapshot fmt fmt-fix vet lint tidy-check bench bench-budget fuzz

# The tests write many small git objects. On this kind of machine creating
# a file on disk costs about a millisecond and on tmpfs about 16 µs, so the
# tests' temporary directories go to /dev/shm where there is one
# (TEST_TMPDIR=/elsewhere overrides; empty means the system's default).
TEST_TMPDIR ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm)

## test: everything CI checks: vet, gofmt, go mod tidy, tests with the race detector,
## and the real-process tests (kills and two runs at once, for the local forge and the
## GitHub forge against the fake; a memory ceiling) without it, built without cgo
test: vet fmt tidy-check
	TMPDIR=$(TEST_TMPDIR) $(GO) test -race -count=1 ./...
	CGO_ENABLED=0 TMPDIR=$(TEST_TMPDIR) $(GO) test -count=1 -run 'TestRealKills|TestTwoProcesses|TestMemoryCeiling' ./cmd/ferry

## demo: a whole migration of 50 workloads on a built-in repo and simulated fleet
## (DEMO_FLAGS="--keep /tmp/ferry-demo" keeps the repo to explore)
demo:
	$(GO) run ./cmd/ferry demo $(DEMO_FLAGS)

# Where fixtures/e2e/build.sh keeps the control planes it builds.
FERRY_E2E_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ferry-e2e
export FERRY_E2E_CACHE

## e2e: real control planes: builds once (about 25 minutes cold) etcd, Kubernetes, kwok
## and Flux from pinned modules, starts two clusters on loopback each with its own Flux,
## and migrates a repo between them with ferry run while a load balancer counts requests
e2e:
	fixtures/e2e/build.sh
	FERRY_E2E_BIN=$(FERRY_E2E_CACHE)/bin $(GO) test -tags e2e -count=1 -v -timeout 30m -run TestMigration ./fixtures/e2e

## release-snapshot: build the release archives offline with goreleaser (pinned by
## fixtures/release, built once), then test them: the versions they and a go install
## report, their checksums, and action.yml's install step against them
release-snapshot:
	gr=$$(fixtures/release/build.sh) && GOTOOLCHAIN=local $$gr release --snapshot --clean
	FERRY_DIST=$(CURDIR)/dist $(GO) test -tags release -count=1 -v -run TestRelease ./cmd/ferry

## api-desc: regenerate fixtures/github/apidesc (the REST and GraphQL descriptions the
## fake GitHub is judged by) from the pinned npm packages; needs node and npm
api-desc:
	fixtures/github/apidesc/gen.sh

## fmt: fail if any Go file is not gofmt-formatted
fmt:
	@files=$$(gofmt -l .); \
	if [ -n "$$files" ]; then \
		echo "These files are not gofmt-formatted (run 'make fmt-fix'):"; \
		echo "$$files"; \
		exit 1; \
	fi

## fmt-fix: gofmt every Go file in place
fmt-fix:
	gofmt -w .

## vet: go vet (the e2e test's package too, which needs a build tag)
vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./fixtures/e2e
	$(GO) vet -tags release ./cmd/ferry

## lint: staticcheck, at a pinned version
lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## tidy-check: fail if go mod tidy would change go.mod or go.sum
tidy-check:
	$(GO) mod tidy -diff

## bench: run the benchmarks, no tests, but the write budget's (bench-budget)
bench:
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkWriteBudget$$' -benchmem -timeout 30m ./...

## bench-budget: 1,000 workloads migrated under GitHub's write limit on the fake
## GitHub, one pull request per wave, then per workload (over an hour on 2 cores)
bench-budget:
	$(GO) test ./bot/github -run '^$$' -bench '^BenchmarkWriteBudget$$' -benchtime 1x -timeout 180m -v

## fuzz: fuzz the rewrite engine, its scanner against yaml.v3, then its head-only Set against the whole file's, for FUZZTIME each (default 10m)
fuzz:
	$(GO) test ./rewrite -run '^$$' -fuzz '^FuzzEdit$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s
	$(GO) test ./rewrite -run '^$$' -fuzz '^FuzzScan$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s
	$(GO) test ./rewrite -run '^$$' -fuzz '^FuzzHead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s
