# The two commands of the README.
#   make run    install what is missing, build, start the service on the embedded default
#   make test   install what is missing, build, run every test against a throwaway PostgreSQL
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build run test test-sanitize lint format clean bench

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# No load balancer in front of a laptop: Ctrl-C need not wait for one to notice.
run: build
	PAYMENTS_DRAIN_DELAY=$${PAYMENTS_DRAIN_DELAY:-0} $(BUILD_DIR)/payments serve

test: build
	@rm -rf $(BUILD_DIR)/test-logs
	$(BUILD_DIR)/payments events check-schemas --dir schemas/events
	$(BUILD_DIR)/payments migrate lint migrations/
	$(BUILD_DIR)/pg_harness -- ctest --test-dir $(BUILD_DIR) -j $(JOBS) --output-on-failure

# The same tests built with AddressSanitizer and UBSan, in a build directory of
# their own (not in `make test`: on a 2-core CI machine it doubles the build).
test-sanitize:
	$(MAKE) test BUILD_DIR=build-sanitize CMAKE_FLAGS="-DPAYMENTS_SANITIZE=ON -DPAYMENTS_BENCHMARKS=OFF"

format:
	@find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

lint:
	@find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format --dry-run --Werror

bench: deps
	@scripts/install-deps.sh --bench
	bench/run

clean:
	rm -rf $(BUILD_DIR)
