#!/usr/bin/env bash
# Generates a CA and a serving certificate for seiguard with openssl:
# ECDSA P-256, SANs <service>.<namespace>.svc, <service>.<namespace>.svc.cluster.local,
# localhost and 127.0.0.1 (the API server verifies <service>.<namespace>.svc).
#
#   certs/gen-certs.sh [OUT_DIR] [SERVICE] [NAMESPACE]     (defaults: certs/dev seiguard seiguard-system)
#
# Writes OUT_DIR/ca.crt, ca.key, tls.crt (leaf), tls.key, ca-bundle.b64 (the
# caBundle value for the webhook configurations), and client.crt/client.key: a
# client certificate (CN kube-apiserver, clientAuth) for the API server's
# AdmissionConfiguration kubeconfig when seiguard runs with --client-ca-file. Keeps an existing CA so that
# re-running rotates only the serving certificate; set NEW_CA=1 to replace it.
# Environment: DAYS (serving cert lifetime, default 90), CA_DAYS (default 3650).
set -euo pipefail
out=${1:-certs/dev}
svc=${2:-seiguard}
ns=${3:-seiguard-system}
days=${DAYS:-90}
ca_days=${CA_DAYS:-3650}
mkdir -p "$out"
umask 077

if [[ ! -s "$out/ca.key" || ! -s "$out/ca.crt" || "${NEW_CA:-0}" == 1 ]]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$ca_days" \
    -subj "/CN=seiguard development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$out/ca.crt" 2>/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/tls.key" 2>/dev/null
openssl req -new -key "$tmp/tls.key" -subj "/CN=$svc.$ns.svc" -out "$tmp/tls.csr" 2>/dev/null
cat > "$tmp/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:$svc.$ns.svc,DNS:$svc.$ns.svc.cluster.local,DNS:localhost,IP:127.0.0.1
EXT
openssl x509 -req -in "$tmp/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 \
  -extfile "$tmp/ext.cnf" -out "$tmp/tls.crt" 2>/dev/null
# Replace both files by rename, key first: a reader never sees a new
# certificate with the old key for long (seiguard refuses a mismatched pair
# and keeps serving the old one until both match).
mv "$tmp/tls.key" "$out/tls.key.new" && mv "$out/tls.key.new" "$out/tls.key"
mv "$tmp/tls.crt" "$out/tls.crt.new" && mv "$out/tls.crt.new" "$out/tls.crt"
base64 -w0 < "$out/ca.crt" > "$out/ca-bundle.b64"

openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/client.key" 2>/dev/null
openssl req -new -key "$tmp/client.key" -subj "/CN=kube-apiserver" -out "$tmp/client.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$tmp/client.cnf"
openssl x509 -req -in "$tmp/client.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 \
  -extfile "$tmp/client.cnf" -out "$tmp/client.crt" 2>/dev/null
mv "$tmp/client.key" "$out/client.key" && mv "$tmp/client.crt" "$out/client.crt"
chmod 644 "$out/ca.crt" "$out/tls.crt" "$out/client.crt" "$out/ca-bundle.b64"
echo "$out: CA $(openssl x509 -in "$out/ca.crt" -noout -serial | cut -d= -f2), serving certificate $(openssl x509 -in "$out/tls.crt" -noout -serial | cut -d= -f2) for $svc.$ns.svc" >&2
