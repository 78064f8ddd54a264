#!/usr/bin/env bash
# Builds and checks the container image without a Docker daemon, with
# buildah (chroot isolation, vfs storage: both work as root in a sandbox).
#
#   scripts/image.sh build [TAG]   the Dockerfile as it is; TAG defaults to localhost/seiguard:dev
#   scripts/image.sh test [TAG]    tests/image/image_test.py against the built image
#   scripts/image.sh size [TAG]    the image's size
#
# No registry is needed: when the base image debian:12 is not in buildah's
# storage, it is made here from Debian's packages with mmdebstrap (minbase,
# bookworm) and stored under that very name, so the Dockerfile's FROM line
# finds it. With a registry at hand, SEIGUARD_PULL_BASE=1 pulls the real one
# instead (or build with `docker build .`). DEBIAN_MIRROR picks a mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
command=${1:-build}
tag=${2:-localhost/seiguard:dev}
base=docker.io/library/debian:12

ensure_base() {
  if buildah inspect --type image "$base" >/dev/null 2>&1; then
    return
  fi
  if [[ "${SEIGUARD_PULL_BASE:-0}" == 1 ]]; then
    buildah pull "$base"
    return
  fi
  local work ctr
  work=$(mktemp -d)
  echo "image: making $base from Debian packages (mmdebstrap --variant=minbase bookworm)" >&2
  mmdebstrap --variant=minbase --quiet bookworm "$work/base.tar" ${DEBIAN_MIRROR:-}
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$work/base.tar" / >/dev/null
  buildah config --cmd '["bash"]' \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  buildah commit --quiet --rm "$ctr" "$base" >/dev/null
  rm -rf "$work"
}


case "$command" in
  build)
    ./scripts/setup.sh image
    ensure_base
    start=$(date +%s)
    buildah bud --isolation "$BUILDAH_ISOLATION" --pull=never --layers=false -t "$tag" -f Dockerfile .
    echo "image: $tag built in $(( $(date +%s) - start )) s; $(buildah images --format '{{.Size}}' "$tag")" >&2
    ;;
  test)
    ./scripts/setup.sh image
    if ! buildah inspect --type image "$tag" >/dev/null 2>&1; then
      "$0" build "$tag"
    fi
    IMAGE="$tag" /usr/bin/python3 -m unittest -v tests/image/image_test.py
    ;;
  size)
    buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$tag"
    ;;
  *)
    echo "usage: $0 build|test|size [TAG]" >&2
    exit 2
    ;;
esac
