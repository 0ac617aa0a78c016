# syntax=docker/dockerfile:1
#
# Nucleus as a container: the single executable `nucleus` (Node.js 24 inside) on a slim Debian.
#
#   docker build -t nucleus .
#   docker run --rm -p 50051:50051 -p 8000:8000 -v nucleus-data:/data nucleus master
#   docker run --rm nucleus worker --master <master-host>:50051
#
# The image holds one file of ours, /usr/local/bin/nucleus; every role is a sub-command.
# test/system/container.test.ts builds it with podman (from base images it makes itself, passed
# as NODE_IMAGE and DEBIAN_IMAGE) and runs a master, a worker and a job in it.

# The base images: any Node.js 20+ on Debian 12 to build, Debian 12 to run.
ARG NODE_IMAGE=node:20-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim

# --- build: bundle, write the SEA blob, inject it into a copy of the pinned Node 24 -------------
FROM ${NODE_IMAGE} AS build
# python3, make and g++ compile the SQLite addon for the Node the binary carries; binutils brings
# `strip`, which takes the debug symbols out of the copied Node executable.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ binutils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the build needs better-sqlite3's sources, not an addon for this image's Node.
RUN npm ci --no-audit --no-fund --ignore-scripts
# The pinned Node 24 and the SQLite addon compiled for it, in a layer that only a new pin (or a
# change of the build scripts) rebuilds: compiling SQLite is most of a cold build.
COPY scripts/binary-node/package.json scripts/binary-node/package-lock.json ./scripts/binary-node/
COPY scripts/*.mjs ./scripts/
RUN node scripts/build-binary.mjs --prepare
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
RUN node scripts/build-binary.mjs \
 && ./dist/nucleus --version

# --- runtime: the binary alone ------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS runtime
# libstdc++ for Node and the SQLite addon (present in the base image, named to be sure);
# CA certificates for the http_request job type.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home nucleus
COPY --from=build /src/dist/nucleus /usr/local/bin/nucleus
USER nucleus
WORKDIR /data
# The master keeps its SQLite store here; mount a volume to keep jobs across containers.
VOLUME ["/data"]
ENV NUCLEUS_DB=/data/nucleus.db
# Outside a container the master listens on loopback by default; inside one, loopback is the
# container's own, so it listens on every interface of the container and `-p` decides what the
# host exposes.
ENV NUCLEUS_HOST=0.0.0.0
# gRPC (clients and workers), HTTP (/metrics, /healthz, /readyz, REST).
EXPOSE 50051 8000
ENTRYPOINT ["/usr/local/bin/nucleus"]
CMD ["--help"]
