# blockwire — build, test and measure.
#
#   make test    vet + race-enabled tests with the invariants tag (what CI runs)
#   make lint    golangci-lint v2, installed into ./bin at a pinned version
#   make bench   go test benchmarks (figures go to docs/benchmarks.md)
#   make fuzz    every fuzz target for FUZZTIME each
#   make sweep-bft  the offline BFT seed sweeps: BFT_SEEDS engine scenarios
#                (consensus/bft) and BFT_SIM_SEEDS whole-simulator runs (sim)
#   make demo    a 4-node local testnet (3 producers) of real processes for
#                DEMO_DURATION (60 s), in bin/demo (ignored by git, removed by
#                make clean); it prints the URL of its live page
#   make chromium  installs Debian's chromium for the web UI's browser test
#                (which skips without it; screenshots go to bin/artifacts)

GO            ?= go
BIN           := $(CURDIR)/bin
LINT_VERSION  := v2.15.0
LINT          := $(BIN)/golangci-lint-$(LINT_VERSION)
FUZZTIME      ?= 3s
BENCHTIME     ?= 1s
TEST_TIMEOUT  ?= 20m
DEMO_DURATION ?= 60s

.PHONY: all build test vet lint verify bench fuzz sweep-bft demo chromium clean

all: build

build:
	$(GO) build -o $(BIN)/blockwire ./cmd/blockwire

vet:
	$(GO) vet -tags invariants ./...

test: vet
	$(GO) test -race -tags invariants -timeout $(TEST_TIMEOUT) ./...

$(LINT):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(LINT_VERSION)
	mv $(BIN)/golangci-lint $(LINT)

lint: $(LINT)
	$(LINT) run ./...

verify: lint test

bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./...

fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz-all.sh

BFT_SEEDS     ?= 10000
BFT_SIM_SEEDS ?= 1000
sweep-bft:
	BFT_SEEDS=$(BFT_SEEDS) $(GO) test -count=1 -timeout 120m -run '^TestSweep$$' ./consensus/bft/
	BFT_SIM_SEEDS=$(BFT_SIM_SEEDS) $(GO) test -count=1 -timeout 120m -run '^TestBFTSimSweep$$' ./sim/

demo: build
	$(BIN)/blockwire testnet --nodes 4 --producers 3 --duration $(DEMO_DURATION) --tx-rate 500 --reset --dir $(BIN)/demo

chromium:
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

clean:
	rm -rf $(BIN)
