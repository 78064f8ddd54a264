# The two commands of the README. Both install what they need first
# (scripts/setup.sh: Debian packages, idempotent) and build with CMake.
#   make run   - the main job: the webhook on loopback with development
#                certificates and the embedded default policy
#   make test  - every test: the suite through ctest (with valgrind memcheck and
#                a short soak), the suite again under ASan+UBSan, and a short
#                run of every fuzz target
BUILD ?= build
JOBS ?= 2
FIXTURE ?= tests/fixtures/seinode/seinode-pod-legacy.review.json
CERTS ?= certs/dev
PORT ?= 9443
PUBLIC_PORT ?= 8080

.PHONY: image image-test setup build test test-deps cluster-bin cluster generate build-sanitized test-sanitized fuzz soak run review bench clean

# Debian packages: the test set of scripts/setup.sh (a superset of the build
# set; the image's build stage installs only that one).
setup:
	@./scripts/setup.sh test

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The test tooling from npm (tests/vap: a CEL implementation), as locked.
test-deps: setup
	@test -d tests/vap/node_modules/@bufbuild/cel || npm ci --prefix tests/vap --no-audit --no-fund --loglevel=error

# The control plane of the cluster tests (etcd, kube-apiserver,
# kube-controller-manager, kubectl) and matchcond (the API server's CEL for
# webhook matchConditions), built once from tests/cluster's pinned modules
# into $(BUILD)/cluster/bin: about 8 minutes on 2 cores the first time.
cluster-bin:
	@CLUSTER_BIN=$(CURDIR)/$(BUILD)/cluster/bin ./scripts/cluster.sh build

test: build test-deps cluster-bin
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@$(MAKE) --no-print-directory test-sanitized
	@$(MAKE) --no-print-directory fuzz

# The whole suite built with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# (valgrind, the soak's RSS bound and the benchmarks do not apply there).
ASAN_BUILD ?= build-asan
build-sanitized: setup
	@CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSEIGUARD_SANITIZE=ON -DSEIGUARD_FUZZ=ON -DSEIGUARD_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

test-sanitized: build-sanitized
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS) -E '^(e2e_soak|memcheck|e2e_cluster_.*)$$'

# A short run of every fuzz target (FUZZ_SECONDS each), crashers replayed first.
FUZZ_SECONDS ?= 20
fuzz: build-sanitized
	@tests/fuzz/run.sh $(ASAN_BUILD) $(FUZZ_SECONDS)

# The long soak (minutes of mixed hostile traffic), not part of make test.
SOAK_SECONDS ?= 600
soak: build
	@cd tests/e2e && SEIGUARD=$(CURDIR)/$(BUILD)/seiguard SOAK_SECONDS=$(SOAK_SECONDS) /usr/bin/python3 -m unittest -v soak_test

run: build
	@test -s $(CERTS)/tls.crt || ./certs/gen-certs.sh $(CERTS)
	@echo "seiguard: https://127.0.0.1:$(PORT) (admission), http://127.0.0.1:$(PUBLIC_PORT) (health, metrics). Try:" >&2
	@echo "  curl --cacert $(CERTS)/ca.crt --resolve seiguard.seiguard-system.svc:$(PORT):127.0.0.1 -H 'Content-Type: application/json' --data-binary @$(FIXTURE) 'https://seiguard.seiguard-system.svc:$(PORT)/validate?timeout=10s'" >&2
	@echo "  curl http://127.0.0.1:$(PUBLIC_PORT)/metrics        (Ctrl-C stops the webhook)" >&2
	@exec ./$(BUILD)/seiguard serve --tls-cert-file $(CERTS)/tls.crt --tls-private-key-file $(CERTS)/tls.key \
	  --listen-address 127.0.0.1:$(PORT) --public-listen-address 127.0.0.1:$(PUBLIC_PORT) \
	  --log-format text --shutdown-delay 0s --shutdown-timeout 5s

# A local control plane with seiguard registered, like `make run`: prints the
# KUBECONFIG line, then waits; Ctrl-C tears it all down (scripts/cluster.sh).
CLUSTER_DIR ?= $(BUILD)/cluster/state
cluster: build cluster-bin
	@./scripts/cluster.sh down $(CLUSTER_DIR) >/dev/null 2>&1 || true
	@./scripts/cluster.sh up $(CLUSTER_DIR) $(CLUSTER_FLAGS)
	@echo "cluster: Ctrl-C stops it" >&2
	@trap './scripts/cluster.sh down $(CLUSTER_DIR); exit 0' INT TERM; while sleep 3600; do :; done

# Regenerates what is derived from the rule catalog: the README's rule table
# and policy example, the base and audit policies, the VAP backstop and the
# webhook configurations (scripts/generate.py; a test fails while any is stale).
generate: build
	@python3 scripts/generate.py $(BUILD)/seiguard

review: build
	@./$(BUILD)/seiguard review < $(FIXTURE); echo

# The container image, built here without a Docker daemon (buildah, chroot
# isolation, vfs storage; the debian:12 base made with mmdebstrap when no
# registry is reachable), and its release check. Minutes each; not part of
# make test. IMAGE names the tag.
IMAGE ?= localhost/seiguard:dev
image:
	@./scripts/image.sh build $(IMAGE)

image-test:
	@./scripts/image.sh test $(IMAGE)

bench: build
	@taskset -c 1 ./$(BUILD)/tests/seiguard_bench --benchmark_min_time=1 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
