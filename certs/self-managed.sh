#!/usr/bin/env bash
# The self-managed overlay's step: certificates into OVERLAY/certs (kept
# across runs: the CA stays, the serving pair is renewed) and the caBundle
# patch for both webhook configurations into OVERLAY/ca-bundle.yaml.
#
#   certs/self-managed.sh [OVERLAY]   (default: manifests/overlays/self-managed)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
overlay=${1:-$here/../manifests/overlays/self-managed}
"$here/gen-certs.sh" "$overlay/certs" seiguard seiguard-system
bundle=$(cat "$overlay/certs/ca-bundle.b64")
cat > "$overlay/ca-bundle.yaml" <<YAML
# Written by certs/self-managed.sh: the CA that signed certs/tls.crt.
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: seiguard
webhooks:
- name: validate.seiguard.sei.io
  clientConfig:
    caBundle: $bundle
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: seiguard
webhooks:
- name: mutate.seiguard.sei.io
  clientConfig:
    caBundle: $bundle
YAML
echo "wrote $overlay/certs and $overlay/ca-bundle.yaml" >&2
