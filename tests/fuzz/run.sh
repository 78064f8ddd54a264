#!/usr/bin/env bash
# A short run of every fuzz target, seeded from tests/fixtures and the
# per-rule test data; each committed crasher in tests/fuzz/regressions/<target>/
# is replayed first (it must not crash any more).
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET=20]
set -euo pipefail
build=${1:?build dir with SEIGUARD_FUZZ=ON}
secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fixtures="$root/tests/fixtures"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in fuzz_review fuzz_manifest fuzz_policy fuzz_patch; do
  corpus="$work/$target"
  mkdir -p "$corpus"
  case $target in
    fuzz_review) cp "$fixtures"/seinode/*.json "$fixtures"/k8s-api/admission*.json "$corpus/" ;;
    fuzz_manifest) cp "$fixtures"/k8s-api/*.{json,yaml} "$root"/tests/data/bases/*.yaml "$corpus/" ;;
    fuzz_policy)
      cp "$root"/manifests/base/policy.yaml "$corpus/base.yaml"
      cp "$root"/manifests/overlays/audit/policy.yaml "$corpus/audit.yaml" ;;
    fuzz_patch)
      for f in "$fixtures"/seinode/*.json; do
        python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["request"]["object"]))' "$f" \
          > "$corpus/$(basename "$f")"
      done ;;
  esac
  if [[ -d "$here/regressions/$target" ]]; then
    "$build/tests/fuzz/$target" "$here/regressions/$target"/* > "$work/$target.replay.log" 2>&1 \
      || { cat "$work/$target.replay.log"; echo "fuzz: a committed crasher of $target crashes again"; exit 1; }
  fi
  echo "fuzz: $target for ${secs}s"
  if ! "$build/tests/fuzz/$target" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=262144 \
      -artifact_prefix="$work/$target-" "$corpus" > "$work/$target.log" 2>&1; then
    tail -40 "$work/$target.log"
    mkdir -p "$root/tests/fuzz/found"
    cp "$work/$target"-* "$root/tests/fuzz/found/" 2>/dev/null || true
    echo "fuzz: $target found a crash (saved under tests/fuzz/found/)"
    exit 1
  fi
  grep -E "DONE|Done [0-9]+ runs" "$work/$target.log" | tail -1 || true
done
echo "fuzz: every target ran clean"
