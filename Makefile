# Tributary — see README.md. Every target works on a fresh Debian machine;
# scripts/ install what is missing.
SHELL := /bin/bash
GO ?= go
BIN := bin/tributary
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
LDFLAGS := -X github.com/tributarydata/tributary/bus/worker.Commit=$(COMMIT)
# Packages with tests that start processes or servers get more time.
TEST_TIMEOUT ?= 15m

.PHONY: all build test test-short lint bench run fuzz clean deps

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tributary

deps:
	$(GO) mod download

# Race detector on, shuffled order, never from the test cache (the end-to-end
# suites build and run the binary, which the cache cannot see); they start the
# embedded broker themselves.
test: build
	$(GO) test -race -shuffle=on -count=1 -timeout $(TEST_TIMEOUT) ./...

test-short:
	$(GO) test -short -timeout $(TEST_TIMEOUT) ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.6.1 ./...

# Go benchmarks plus the bench command, which prints throughput figures as
# ratios against a baseline measured in the same run.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./bus/... ./sources/... ./sinks/... ./transforms/... ./plugins/...
	$(GO) run ./test/bench

# Short fuzz runs of every fuzz target (go test -fuzz takes one target at a time).
fuzz:
	./scripts/fuzz.sh

run: build
	./scripts/run.sh

clean:
	rm -rf bin test/output
