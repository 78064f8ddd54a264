# seiguard image: Debian 12, built with the same set-up script and CMake
# commands as the README. This machine has no Docker engine, so the image is
# not built here; tests/e2e/manifests_test.py keeps it in lockstep with the
# tested build (every shared library the binary links is installed in the
# runtime stage).

FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN ./scripts/setup.sh build
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEIGUARD_TESTS=OFF -DSEIGUARD_BENCH=OFF \
 && cmake --build build -j2 --target seiguard \
 && strip build/seiguard

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcpp-httplib0.11 libbrotli1 zlib1g libssl3 libsimdjson14 libspdlog1.10 libfmt9 libyaml-0-2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/seiguard /usr/local/bin/seiguard
# Non-root; the Deployment also runs it with a read-only root file system.
USER 65532:65532
EXPOSE 9443 8080
ENTRYPOINT ["/usr/local/bin/seiguard"]
CMD ["serve", "--help"]
