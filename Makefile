# The two commands of the README. Both install what they need first
# (scripts/setup.sh: Debian packages, idempotent) and build with CMake.
#   make run   - the main job: the webhook on loopback with development
#                certificates and the embedded default policy
#   make test  - every test, through ctest
BUILD ?= build
JOBS ?= 2
FIXTURE ?= ../shared/fixtures/seinode/seinode-pod-legacy.review.json
CERTS ?= certs/dev
PORT ?= 9443
PUBLIC_PORT ?= 8080

.PHONY: setup build test run review bench clean

setup:
	@./scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

run: build
	@test -s $(CERTS)/tls.crt || ./certs/gen-certs.sh $(CERTS)
	@echo "seiguard: https://127.0.0.1:$(PORT) (admission), http://127.0.0.1:$(PUBLIC_PORT) (health, metrics). Try:" >&2
	@echo "  curl --cacert $(CERTS)/ca.crt --resolve seiguard.seiguard-system.svc:$(PORT):127.0.0.1 -H 'Content-Type: application/json' --data-binary @$(FIXTURE) 'https://seiguard.seiguard-system.svc:$(PORT)/validate?timeout=10s'" >&2
	@echo "  curl http://127.0.0.1:$(PUBLIC_PORT)/metrics        (Ctrl-C stops the webhook)" >&2
	@exec ./$(BUILD)/seiguard serve --tls-cert-file $(CERTS)/tls.crt --tls-private-key-file $(CERTS)/tls.key \
	  --listen-address 127.0.0.1:$(PORT) --public-listen-address 127.0.0.1:$(PUBLIC_PORT) \
	  --log-format text --shutdown-delay 0s --shutdown-timeout 5s

review: build
	@./$(BUILD)/seiguard review < $(FIXTURE); echo

bench: build
	@taskset -c 1 ./$(BUILD)/tests/seiguard_bench --benchmark_min_time=1 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

clean:
	rm -rf $(BUILD)
