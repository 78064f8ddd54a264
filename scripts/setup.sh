#!/usr/bin/env bash
# Installs the Debian 12 packages seiguard needs, when missing.
#
#   scripts/setup.sh [build|test|runtime|image|list SET]
#
#   build    compile the binary (what the image's build stage installs)
#   test     build + everything `make test` runs: GoogleTest, benchmark,
#            clang and valgrind, Python, Go and kubectl's YAML library (the
#            oracle of tests/oracle), Node.js (the CEL harness). The default.
#   runtime  the shared libraries the binary links, and CA certificates
#   image    what `make image` needs: buildah and mmdebstrap
#   list SET print the packages of SET, one per line, and install nothing
#
# Idempotent: does nothing when everything is present; runs `apt-get update`
# at most once per invocation. Needs root (or sudo) only when something is
# missing.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config
  libcpp-httplib-dev libssl-dev
  nlohmann-json3-dev libsimdjson-dev libyaml-dev
  libspdlog-dev libfmt-dev libcli11-dev
)
test_packages=(
  "${build_packages[@]}"
  libgtest-dev libgmock-dev libbenchmark-dev
  curl openssl python3 python3-yaml
  clang libclang-rt-14-dev valgrind
  golang-go golang-k8s-sigs-yaml-dev
)
# Kept in step with the binary's shared libraries by tests/e2e/manifests_test.py.
runtime_packages=(
  libcpp-httplib0.11 libbrotli1 zlib1g libssl3 libsimdjson14 libfmt9 libyaml-0-2 ca-certificates
)
image_packages=(buildah mmdebstrap)

set_name=${1:-test}
case "$set_name" in
  build) packages=("${build_packages[@]}") ;;
  test) packages=("${test_packages[@]}") ;;
  runtime) packages=("${runtime_packages[@]}") ;;
  image) packages=("${image_packages[@]}") ;;
  list)
    case "${2:-}" in
      build) printf '%s\n' "${build_packages[@]}" ;;
      test) printf '%s\n' "${test_packages[@]}" ;;
      runtime) printf '%s\n' "${runtime_packages[@]}" ;;
      image) printf '%s\n' "${image_packages[@]}" ;;
      *) echo "usage: $0 list build|test|runtime|image" >&2; exit 2 ;;
    esac
    exit 0
    ;;
  *) echo "usage: $0 [build|test|runtime|image|list SET]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# Node.js and npm run the CEL harness of the VAP tests (tests/vap). Any
# Node.js >= 18 does; Debian's is used only when the machine has none.
if [[ "$set_name" == test ]] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
