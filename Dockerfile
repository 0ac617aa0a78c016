# syntax=docker/dockerfile:1
#
# Nucleus as a container: the single executable `nucleus` (Node.js inside) on a slim Debian.
#
#   docker build -t nucleus .
#   docker run --rm -p 50051:50051 -p 8000:8000 -v nucleus-data:/data nucleus master
#   docker run --rm nucleus worker --master <master-host>:50051
#
# The image holds one file of ours, /usr/local/bin/nucleus; every role is a sub-command.
# Not exercised by the project's tests (they run where no Docker engine is available); the
# binary itself is, by test/system/binary.test.ts.

# --- build: bundle, write the SEA blob, inject it into a copy of this image's Node ------------
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its addon when no prebuilt one can be fetched; binutils brings `strip`,
# which takes the debug symbols out of the copied Node executable (about 12 MB).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ binutils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY scripts ./scripts
COPY src ./src
RUN npm run build:binary \
 && ./dist/nucleus --version

# --- runtime: the binary alone ------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
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
