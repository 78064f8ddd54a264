#!/usr/bin/env bash
# valgrind memcheck over the replay of every fixture (tests/fixtures) through
# `seiguard review` (/validate and /mutate), a policy file and a check run:
# zero errors, zero leaks, or the test fails.
set -euo pipefail
bin=${1:?seiguard binary}
fixtures=${2:?fixtures dir}
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 1; }
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes)
runs=0
for f in "$fixtures"/seinode/*.json "$fixtures"/k8s-api/*.json; do
  for flag in "" --mutate; do
    set +e
    "${vg[@]}" "$bin" review $flag < "$f" > /dev/null 2> /tmp/memcheck.$$.log
    rc=$?
    set -e
    # 0: answered; 2: not an AdmissionReview (a clear error). 99: memcheck.
    if [[ $rc -ne 0 && $rc -ne 2 ]]; then
      echo "memcheck failed (exit $rc): review $flag < $f"; cat /tmp/memcheck.$$.log; exit 1
    fi
    runs=$((runs + 1))
  done
done
"${vg[@]}" "$bin" check -o json "$fixtures/k8s-api" > /dev/null 2> /tmp/memcheck.$$.log || [[ $? -ne 99 ]] || {
  echo "memcheck failed: check"; cat /tmp/memcheck.$$.log; exit 1; }
rm -f /tmp/memcheck.$$.log
echo "memcheck: $((runs + 1)) runs, no errors, no leaks"
