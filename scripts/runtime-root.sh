#!/usr/bin/env bash
# Lays out the runtime root of the seiguard image: the binary, the shared
# libraries it links (exactly the files ldd names, so the list cannot drift
# from the binary), CA certificates, a passwd and group entry for 65532, and
# the mount points the Deployment uses. Nothing else: no shell, no package
# manager (a distroless root).
#
#   scripts/runtime-root.sh BINARY ROOT
set -euo pipefail
bin=${1:?binary}
root=${2:?root directory}

mkdir -p "$root"/usr/local/bin "$root"/etc/ssl/certs "$root"/etc/seiguard/tls "$root"/etc/seiguard/policy \
  "$root"/tmp "$root"/home/nonroot "$root"/proc "$root"/dev "$root"/sys
install -m 0755 "$bin" "$root/usr/local/bin/seiguard"

# "libssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x...)" and the loader
# "/lib64/ld-linux-x86-64.so.2 (0x...)"; copied as files at the paths named.
libs=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
[[ -n "$libs" ]] || { echo "runtime-root: ldd named no library for $bin" >&2; exit 1; }
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
  > "$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
chown 65532:65532 "$root/home/nonroot"
chmod 1777 "$root/tmp"
