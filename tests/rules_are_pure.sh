#!/usr/bin/env bash
# rules/ is the pure engine: no files, sockets, clocks, threads, logging or
# mutable globals. This checks it two ways: the sources (includes, statics)
# and the compiled library (no undefined reference to an I/O, clock, thread
# or environment function).
set -euo pipefail
src=${1:?source dir}
lib=${2:?path to libseiguard_rules.a}
fail=0

bad_includes=$(grep -nE '#include *[<"](fstream|iostream|cstdio|stdio\.h|thread|mutex|atomic|future|chrono|ctime|random|filesystem|unistd\.h|sys/|httplib\.h|spdlog|CLI/|yaml\.h)' "$src"/rules/*.h "$src"/rules/*.cc || true)
if [[ -n "$bad_includes" ]]; then echo "rules/ includes I/O, clock, thread or logging headers:"; echo "$bad_includes"; fail=1; fi

# Function-local or namespace statics must be const/constexpr (or be functions).
bad_statics=$(grep -nE '^\s*static\s' "$src"/rules/*.cc "$src"/rules/*.h | grep -vE 'static\s+(const|constexpr|inline\s+const|std::string_view\s+\w+\(|bool\s+\w+\(|size_t\s+\w+\(|Status\s|std::)' | grep -vE '\)\s*(const\s*)?\{?\s*$' || true)
if [[ -n "$bad_statics" ]]; then echo "rules/ has non-const statics:"; echo "$bad_statics"; fail=1; fi
if grep -nE '\bthread_local\b|\bgetenv\b|\bstd::rand\b|\bsrand\b' "$src"/rules/*.cc "$src"/rules/*.h; then fail=1; fi

bad_symbols=$(nm -u -C "$lib" | awk '{print $2}' | grep -E '^(open|open64|openat|fopen|fopen64|read|write|fread|fwrite|puts|printf|fprintf|socket|connect|accept|bind|listen|send|recv|time|clock_gettime|gettimeofday|getenv|secure_getenv|pthread_create|pthread_mutex_lock|rand|srand|random|std::cout|std::cerr|std::clog|std::chrono.*|std::thread.*|spdlog.*|httplib.*)$' | sort -u || true)
if [[ -n "$bad_symbols" ]]; then echo "libseiguard_rules.a references impure functions:"; echo "$bad_symbols"; fail=1; fi

if [[ $fail -eq 0 ]]; then echo "rules/ is pure: no I/O, clock, thread, logging or mutable global"; fi
exit $fail
