# syntax=docker/dockerfile:1
# One image for every service of music-service; each runs it with its own command:
#   node src/apps/rest/main.ts                          REST API and UI (port 3000, the default)
#   node src/apps/grpc/main.ts                          gRPC API (port 50051)
#   node src/apps/consumer/main.ts --client platformatic
#   node src/apps/consumer/main.ts --client confluent
#   node src/apps/probe/main.ts <rest|grpc|consumer>    health check of the service beside it
# The sources are TypeScript run directly by Node 24 (type stripping): there is no compile step.

# The Node the project pins (package.json: the `node` dependency); the image brings its own, so
# that package is left out below.
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm AS build
# What librdkafka is compiled against; the runtime stage installs the matching shared libraries.
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
    build-essential python3 pkg-config \
    libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app

COPY package.json package-lock.json ./
COPY infra/patch-dependencies.mjs ./infra/
# As infra/bootstrap.mjs does: install without scripts, then run only the one build we need.
# The `node` package's script would download a second Node 24; this image already has it.
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/node node_modules/.bin/node \
  && node infra/patch-dependencies.mjs
# The librdkafka client, built from its bundled sources against this image's Node headers and
# linked to the system's OpenSSL, zlib, zstd, lz4, SASL and curl.
RUN CKJS_LINKING=dynamic \
    npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local \
    npm rebuild @confluentinc/kafka-javascript --foreground-scripts \
  && node -e "require('@confluentinc/kafka-javascript')"

COPY . .
# The Svelte UI, served by the REST API from ui/dist.
RUN node node_modules/vite/bin/vite.js build --config ui/vite.config.ts --logLevel warn
# Production dependencies only, and of the Kafka client only what it loads: its binding and the
# librdkafka shared libraries beside it (not the 200 MB of sources and static archives).
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/node node_modules/.bin/node \
  && cd node_modules/@confluentinc/kafka-javascript \
  && rm -rf deps/librdkafka build/Release/obj.target build/deps/*.a \
    build/deps/include build/deps/pkgconfig \
  && node -e "require('@confluentinc/kafka-javascript')"

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# The shared libraries librdkafka was linked to in the build stage.
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
    libssl3 zlib1g libzstd1 liblz4-1 libsasl2-2 libcurl4 \
  && rm -rf /var/lib/apt/lists/*
# Inside a container the APIs must listen on every interface, not on loopback as on a laptop.
ENV REST_HOST=0.0.0.0 \
  GRPC_HOST=0.0.0.0
WORKDIR /app
# Owned by root and read-only to the service user: a compromised process cannot rewrite its code.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/src ./src
COPY --from=build /app/bin ./bin
COPY --from=build /app/ui/dist ./ui/dist
# The `node` user of the base image, by number so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 3000 50051
CMD ["node", "src/apps/rest/main.ts"]
