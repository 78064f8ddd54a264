#!/usr/bin/env python3
"""Reads the webhook configurations on stdin (what `seiguard webhooks` prints,
or `kubectl kustomize manifests/base`) and writes the two of them, as
generated, with only clientConfig changed: a url on the local seiguard (the
service's path kept) and the caBundle, as envtest does.

  local_webhooks.py --url https://127.0.0.1:PORT --ca-bundle B64 [--failure-policy Ignore|Fail]

--failure-policy sets every webhook's failurePolicy (scripts/cluster.sh up
--failure-policy); without it the shipped values stay.
"""
import argparse
import sys

import yaml

KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--ca-bundle", required=True)
    ap.add_argument("--failure-policy", choices=["Ignore", "Fail"])
    args = ap.parse_args()
    out = []
    for doc in yaml.safe_load_all(sys.stdin):
        if not doc or doc.get("kind") not in KINDS:
            continue
        for hook in doc.get("webhooks", []):
            service = hook.get("clientConfig", {}).get("service")
            if not service:
                sys.exit(f"local_webhooks: webhook {hook.get('name')} has no clientConfig.service")
            hook["clientConfig"] = {"url": args.url + service.get("path", "/"), "caBundle": args.ca_bundle}
            if args.failure_policy:
                hook["failurePolicy"] = args.failure_policy
        out.append(doc)
    if sorted(d["kind"] for d in out) != sorted(KINDS):
        sys.exit(f"local_webhooks: expected one of each of {KINDS}, found {[d['kind'] for d in out]}")
    yaml.safe_dump_all(out, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
