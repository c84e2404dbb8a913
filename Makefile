# pinnsweep — make help lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin/pinnsweep
SPEC ?= sweeps/examples/convection-beta.yaml

# OpenBLAS build: Debian's serial OpenBLAS through gonum/netlib (cgo).
OPENBLAS_DIR ?= /usr/lib/x86_64-linux-gnu/openblas-serial
OPENBLAS_ENV := CGO_ENABLED=1 CGO_LDFLAGS="-L$(OPENBLAS_DIR) -lopenblas -Wl,-rpath,$(OPENBLAS_DIR)"
BUF := $(GO) tool -modfile=tools/go.mod buf
# Release builds use the archsimd AVX2 tanh and GEMM kernels (pure Go, no cgo; fall
# back to portable code on CPUs without AVX2). Plain `go build` works too.
SIMD := GOEXPERIMENT=simd

# Packages with concurrency run under the race detector.
RACE_PKGS := ./sweeps/... ./verdict/... ./coordinator/... ./worker/... ./dashboard/... ./cmd/... ./internal/...
NUM_PKGS := ./trainer/...

.PHONY: help build build-openblas test test-race test-trainer test-openblas test-simd test-deploy fuzz lint proto proto-check bench scaling scale-million run repro chaos model clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build bin/pinnsweep (pure Go, no cgo)
	$(SIMD) CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/pinnsweep

build-openblas: ## build bin/pinnsweep-openblas (OpenBLAS GEMMs; needs libopenblas-serial-dev)
	$(SIMD) $(OPENBLAS_ENV) $(GO) build -tags openblas -o $(BIN)-openblas ./cmd/pinnsweep

run: build ## run the shipped convection sweep end to end (embedded coordinator + local workers)
	$(BIN) run $(SPEC)

test: lint proto-check test-race test-trainer test-openblas test-simd fuzz test-deploy ## every test: lint, proto check, race tests, both BLAS builds, SIMD build, deployment recipes, short fuzzing

test-race: ## tests of the concurrent packages under -race
	$(GO) test -race -count=1 -timeout 20m $(RACE_PKGS)

# TestStrategyDefaultsWork trains each strategy at its documented case
# (about 80 CPU seconds): it runs once, in test-simd, the release build
# whose results it was checked against.
ONCE_TESTS := -skip '^TestStrategyDefaultsWork$$'

test-trainer: ## trainer, report and lease-model tests, pure-Go BLAS (no concurrency there: no -race)
	$(GO) test -count=1 -timeout 20m $(ONCE_TESTS) $(NUM_PKGS) ./report/... ./model/...

test-openblas: ## trainer tests on OpenBLAS
	$(OPENBLAS_ENV) $(GO) test -tags openblas -count=1 -timeout 20m $(ONCE_TESTS) $(NUM_PKGS)

test-simd: ## kernels and trainer with GOEXPERIMENT=simd (archsimd tanh and GEMM; the trainer at the CPU's widest kernels and at AVX2)
	GOEXPERIMENT=simd $(GO) test -count=1 -timeout 20m ./internal/vmath/ ./internal/simdblas/ ./trainer/...
	PINNSWEEP_KERNELS=avx2 GOEXPERIMENT=simd $(GO) test -count=1 -timeout 20m ./trainer/

test-deploy: ## validate the Kubernetes manifests, Slurm scripts and Dockerfile (flags checked against the binary)
	$(GO) test -count=1 ./deploy/

# FUZZ_EXECS is a count, not a duration: a -fuzztime duration races the
# fuzz coordinator's own deadline on a loaded machine and fails with a bare
# "context deadline exceeded" and no crasher (go.dev/issue/75804, fixed in
# Go 1.27). A count has no deadline to race.
FUZZ_EXECS ?= 20000x

fuzz: ## short fuzzing of spec parsing and grid expansion
	@for f in $$($(GO) test -list '^Fuzz' ./sweeps/ | grep '^Fuzz'); do \
	  $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZ_EXECS) ./sweeps/ || exit 1; done

lint: ## gofmt check and go vet (both builds)
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(OPENBLAS_ENV) $(GO) vet -tags openblas ./trainer/...
	$(SIMD) $(GO) vet ./internal/... ./trainer/...

proto: ## regenerate gen/ from proto/ with buf and the pinned local plugins
	$(BUF) lint
	$(BUF) generate

proto-check: ## fail when the checked-in generated code is stale
	$(BUF) lint
	$(BUF) generate
	@git diff --exit-code -- gen/ || { echo "gen/ is stale: run make proto and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- gen/)" || { echo "gen/ has untracked changes: run make proto and commit"; exit 1; }

bench: ## peak, ms/eval and whole trials in both precisions beside the PyTorch anchors, one thread (a Markdown report)
	@./scripts/bench.sh

# The long chaos run of RELIABILITY.md (make test runs a short one inside
# test-race): 200 trials, 4 workers, 24 worker SIGKILLs, 4 coordinator
# SIGKILLs, 2 SIGSTOPs past the lease TTL. CHAOS_SEED picks the fault schedule (0: from the clock).
CHAOS_SEED ?= 20261125
chaos: ## long chaos test: ≥200 trials, 4 workers, ≥20 worker and ≥3 coordinator SIGKILLs, SIGSTOP past the TTL
	$(GO) test -count=1 -v -timeout 20m -run '^TestChaos$$' ./internal/e2e/ -args \
	  -chaos.trials 200 -chaos.workers 4 -chaos.worker-kills 24 -chaos.coord-kills 4 -chaos.stops 2 \
	  -chaos.seed $(CHAOS_SEED)

# Command trials (BENCHMARKS.md, "Command trials"), all in one run: the worker's
# overhead per no-op command trial and the shim's start (also with the built
# binary as the shim), dispatch of 1000 no-op command trials against 1000 built-in
# no-op trials (2 workers x 4 slots), then the Optuna anchor.
BENCH_COUNT ?= 3
.PHONY: bench-command
bench-command: build ## command trials: per-trial overhead, shim start, 1000-trial dispatch vs built-in no-op trials, Optuna anchor
	uptime
	PINNSWEEP_BENCH_SHIMS=pinnsweep=$(CURDIR)/$(BIN) $(GO) test -run '^$$' -bench 'CommandTrial|ShimStart' -benchtime 40x -count $(BENCH_COUNT) ./worker/
	$(GO) test -run '^$$' -bench 'DispatchCommand' -benchtime 1x -count $(BENCH_COUNT) -timeout 30m ./worker/
	-/usr/bin/python3 ../shared/bench/optuna_dispatch.py --points 1000 --workers 2
	uptime

# The chaos run of a command sweep (issue #11): examples/pytorch-pinn's own
# program and spec (β × lr), cut to 36 trials of 100 L-BFGS iterations so that it
# fits a shared 2-core machine, under 6 worker SIGKILLs, 1 coordinator SIGKILL and
# 1 SIGSTOP past the TTL. Beyond TestChaos's exactly-once checks it fails if any
# trial process outlives its worker (after each kill) or the run (pgrep -f).
# CHAOS_COMMAND=minimal runs the standard-library example instead.
CHAOS_COMMAND ?= pytorch-pinn
.PHONY: chaos-command
chaos-command: ## chaos test of a command sweep (reduced examples/pytorch-pinn): worker and coordinator SIGKILLs; fails on orphaned Python processes
	PINNSWEEP_REQUIRE_PYTHON=1 $(GO) test -count=1 -v -timeout 20m -run '^TestChaos$$' ./internal/e2e/ -args \
	  -chaos.command $(CHAOS_COMMAND) -chaos.trials 36 -chaos.iters 100 -chaos.workers 4 -chaos.worker-kills 6 \
	  -chaos.coord-kills 1 -chaos.stops 1 -chaos.ttl 3s -chaos.seed $(CHAOS_SEED)

# The full exhaustive Spin check of the lease protocol's Promela model
# (model/README.md); make test (test-trainer) runs bounded configurations
# and the mutations. Needs spin and gcc: it fails, not skips, without them.
model: ## exhaustive Spin check of the lease protocol model (model/lease.pml; needs spin and gcc)
	PINNSWEEP_REQUIRE_SPIN=1 $(GO) test -count=1 -v -timeout 4h -run '^TestModel$$' ./model/ -args -model.full

scaling: build ## throughput and parallel efficiency of real trials with 1..16 slots (MAX_SLOTS, default nproc)
	$(GO) run ./internal/scaling slots -bin $(BIN) $(if $(MAX_SLOTS),-max-slots $(MAX_SLOTS))

scale-million: build ## coordinator memory, submit, dispatch and resume time of a 1,000,000-trial no-op sweep
	$(GO) run ./internal/scaling million -bin $(BIN)

repro: build ## reproduce the paper's failure modes, the strategies table and the float32 tables in docs/repro.md
	./scripts/repro.sh
	./scripts/repro-strategies.sh
	./scripts/repro-precision.sh

clean: ## remove build outputs
	rm -rf bin
