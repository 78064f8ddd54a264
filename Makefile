# The two commands of the README. Both install what they need first
# (scripts/setup.sh: Debian packages, idempotent) and build with CMake.
#   make run   - the main job
#   make test  - every test, through ctest
BUILD ?= build
JOBS ?= 2
FIXTURE ?= ../shared/fixtures/seinode/seinode-pod-legacy.review.json

.PHONY: setup build test run bench clean

setup:
	@./scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

run: build
	@echo "seiguard review < $(FIXTURE)" >&2
	@./$(BUILD)/seiguard review < $(FIXTURE); echo

bench: build
	@taskset -c 1 ./$(BUILD)/tests/seiguard_bench --benchmark_min_time=1 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

clean:
	rm -rf $(BUILD)
