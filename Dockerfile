# onair — multi-stage image: build the server and the web app, then a runtime with ffmpeg and
# streamlink. Debian 12 + Node 20 and the same apt/npm steps as .ci/run, so that what CI proves
# holds for the image (see docs/DEPLOYMENT.md). Docker cannot run on the CI machines: this file is
# not built by CI.

# --- build: TypeScript server (dist/) and Svelte web app (dist/web/) ---
FROM node:20-bookworm AS build
WORKDIR /app
# better-sqlite3 builds from source when its prebuilt binary cannot be fetched (TEST-PEERS.md).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends python3 make g++ ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below.
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build && npm prune --omit=dev

# --- server: runtime only ---
FROM node:20-bookworm-slim AS server
ENV DEBIAN_FRONTEND=noninteractive NODE_ENV=production
# The runtime subset of .ci/run's package list (the rest are test peers: nginx, mosquitto, Chromium…).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends ffmpeg streamlink ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
ENV ONAIR_DATA_DIR=/data ONAIR_SERVER_HOST=0.0.0.0
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["node", "bin/onair.js"]
CMD ["serve"]
