# The two commands of the README.
#   make run    install what is missing, build, start the service on the embedded default
#   make test   install what is missing, build, run every test against a throwaway PostgreSQL,
#               then the whole suite again with ASan + UBSan, then each fuzz target for a minute
#   make fuzz SECONDS=600   only the fuzz targets, longer (docs/fuzzing.md)
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
SECONDS ?= 60

.PHONY: all deps build run test test-sanitize fuzz lint format clean bench

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# No load balancer in front of a laptop: Ctrl-C need not wait for one to notice.
run: build
	PAYMENTS_DRAIN_DELAY=$${PAYMENTS_DRAIN_DELAY:-0} $(BUILD_DIR)/payments serve

# Each part is timed (scripts/timed.sh): the CI log ends with what each cost.
TIMED = TIMED_LOG=$(CURDIR)/$(BUILD_DIR)/make-test-times.txt scripts/timed.sh
test: deps
	@mkdir -p $(BUILD_DIR) && rm -f $(BUILD_DIR)/make-test-times.txt
	@$(TIMED) build $(MAKE) --no-print-directory build
	@$(TIMED) lint $(MAKE) --no-print-directory lint
	@rm -rf $(BUILD_DIR)/test-logs
	$(BUILD_DIR)/payments events check-schemas --dir schemas/events
	$(BUILD_DIR)/payments migrate lint migrations/
	@$(TIMED) tests $(BUILD_DIR)/pg_harness -- ctest --test-dir $(BUILD_DIR) -j $(JOBS) --output-on-failure
	@$(TIMED) sanitizer-build-and-tests $(MAKE) --no-print-directory test-sanitize
	@$(TIMED) fuzz-build-and-runs $(MAKE) --no-print-directory fuzz SECONDS=60
	@cat $(BUILD_DIR)/make-test-times.txt

# The whole suite built with AddressSanitizer and UBSan, in a build directory of
# its own (part of `make test`; docs/development.md has what it costs in CI).
SANITIZE_DIR ?= build-sanitize
# -O0: a third less compile time per file than -O1 for what ASan and UBSan
# find (the same checks at every level); the suite is bound by its waits, not
# by the instrumented code's speed (docs/development.md has both timings).
SANITIZE_FLAGS ?= -O0 -g1
test-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) -DPAYMENTS_SANITIZE=ON -DPAYMENTS_BENCHMARKS=OFF \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(SANITIZE_FLAGS)" >/dev/null
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@rm -rf $(SANITIZE_DIR)/test-logs
	$(SANITIZE_DIR)/pg_harness -- ctest --test-dir $(SANITIZE_DIR) -j $(JOBS) --output-on-failure

# The libFuzzer targets of fuzz/ (clang-14, ASan + UBSan, in build-fuzz/), each
# for SECONDS seconds on a scratch copy of its corpus, then over its regressions
# (part of `make test` at 60 s each).
fuzz: deps
	scripts/fuzz.sh --seconds $(SECONDS)

format:
	@find src tests bench fuzz -name '*.cpp' -o -name '*.h' | xargs clang-format -i

lint: deps
	@find src tests bench fuzz -name '*.cpp' -o -name '*.h' | xargs clang-format --dry-run --Werror

bench: deps
	@scripts/install-deps.sh --bench
	bench/run

clean:
	rm -rf $(BUILD_DIR)
