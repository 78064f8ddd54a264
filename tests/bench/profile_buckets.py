#!/usr/bin/env python3
"""Buckets a `perf report --sort dso,sym` of the server's core (profile.sh)
into the parts of one request, and prints them as a Markdown table with the
cost of each per request.

  profile_buckets.py REPORT.txt "RESULT ... rps=N ... cpu1=F ..."
"""
import re
import sys

# First match wins: (bucket, dso pattern, symbol pattern).
BUCKETS = [
    ("logs and metrics", None, r"LogQueue|QueueSink|seiguard::Log|spdlog|Metrics|Histogram|metrics"),
    ("decode: stage 1 (simdjson)", r"libsimdjson", None),
    ("decode: On-Demand walk and model", None,
     r"decode::|OnDemand|JsonParser|ReviewOnDemand|simdjson::|EachKnown|OptString|DecodeObject"),
    ("rules", None,
     r"Evaluate|Judge::|::Check$|::Check\(|IsProxy|Sidecar|ExpectedNodeLabel|Path::|Finding::Finding|"
     r"Listener|Reach|netpol|Selector|Policy::|PatchOp|AddToList|AddLabel|FindEnv|FindContainer|Label\("),
    ("answer", None,
     r"Respond|Verdict|::Write$|::Write\(|AppendJsonString|Base64|JsonPatchText|OneLine|Warning|AppendMessage|Unjudged"),
    ("TLS (OpenSSL)", r"libssl|libcrypto", None),
    ("transport: cpp-httplib", r"httplib", r"httplib::"),
    # Its case-insensitive header map and header parsing call these.
    ("transport: cpp-httplib", r"libc", r"^(tolower|toupper|__strcmp|__strlen|__strcasecmp|__strncasecmp|strtol)"),
    ("transport: kernel (TCP, poll, wake-ups, scheduling)", r"kernel|vmlinux|\[vdso\]", None),
    ("transport: kernel (TCP, poll, wake-ups, scheduling)", r"libc",
     r"__poll|^read$|^write$|libc_write|libc_read|getsockname|getpeername|recv|send|futex|pthread_cond|"
     r"__lll_|clock_gettime|sched_yield|__GI___poll|__GI___libc_read"),
    ("allocator (malloc/free, for all of the above)", r"libc", r"malloc|free|_int_|tcache|cfree"),
    ("libc: memcpy and the rest", r"libc", None),
    ("libstdc++", r"libstdc\+\+", None),
    ("seiguard: server edge, handler glue", r"seiguard", None),
]


def bucket(dso, sym):
    for name, dso_re, sym_re in BUCKETS:
        if dso_re and not re.search(dso_re, dso):
            continue
        if sym_re and not re.search(sym_re, sym):
            continue
        return name
    return "other"


def main():
    report, result = sys.argv[1], sys.argv[2]
    fields = dict(kv.split("=", 1) for kv in result.split() if "=" in kv)
    rps = float(fields["rps"])
    busy = float(fields.get("cpu1", "1"))
    per_request_us = busy / rps * 1e6
    shares = {}
    for line in open(report, encoding="utf-8", errors="replace"):
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)$", line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(3)
        name = bucket(dso, sym)
        shares[name] = shares.get(name, 0.0) + pct
    total = sum(shares.values())
    print(f"\n{rps:,.0f} req/s, core 1 busy {busy:.0%}: {per_request_us:.1f} µs of core per request\n")
    print("| part of a request | share | µs per request |")
    print("| --- | ---: | ---: |")
    order = list(dict.fromkeys([b[0] for b in BUCKETS] + ["other"]))
    for name in order:
        if name in shares:
            share = shares[name] / total
            print(f"| {name} | {share:.1%} | {share * per_request_us:.1f} |")


if __name__ == "__main__":
    main()
