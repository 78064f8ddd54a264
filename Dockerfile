# seiguard image: built from Debian 12 packages with the same set-up script
# and CMake commands as the README, shipped on an empty base with only what
# the binary needs (no shell, no package manager: distroless, as
# controller-runtime projects ship).
#
#   make image        builds it here with buildah (no Docker daemon, no
#                     registry: a local debian:12 base is made with mmdebstrap)
#   make image-test   runs it and checks it (read-only root, uid 65532, TLS)
#
# With a registry and Docker: docker build -t seiguard .

FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN ./scripts/setup.sh build && ./scripts/setup.sh runtime
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEIGUARD_TESTS=OFF -DSEIGUARD_BENCH=OFF \
 && cmake --build build -j2 --target seiguard \
 && strip build/seiguard \
 && ./scripts/runtime-root.sh build/seiguard /rootfs

FROM scratch
COPY --from=build /rootfs/ /
# Non-root; the Deployment also runs it with a read-only root file system.
USER 65532:65532
EXPOSE 9443 8080
ENTRYPOINT ["/usr/local/bin/seiguard"]
CMD ["serve", "--help"]
