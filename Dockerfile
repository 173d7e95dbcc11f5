# eds-agent image: built from a checkout with `docker build -t eds-agent .`
#
# The agent only reads the Docker API (list, inspect, events), but a unix socket cannot be
# opened read-only: whoever can connect can call every endpoint. Mount the socket and run with
# its group (see docker-compose.yml), or, to really limit it to reads, point --docker-host at a
# socket proxy that allows only GET on containers, events and networks.

#
# Behind a TLS-intercepting (corporate) proxy, npm in the build stages must trust the proxy's
# CA: give a PEM bundle that holds it as a BuildKit secret,
#   docker build --secret id=ca_certificates,src=/etc/ssl/certs/ca-certificates.crt -t eds-agent .
# It is mounted for the `npm ci` steps only: no layer, and no stage of the final image, has it.

# 1. Compile TypeScript with the dev dependencies.
FROM node:24.19.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN --mount=type=secret,id=ca_certificates \
    if [ -f /run/secrets/ca_certificates ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca_certificates; fi; \
    npm ci --ignore-scripts
COPY src ./src
RUN npm run build

# 2. Production dependencies only.
FROM node:24.19.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca_certificates \
    if [ -f /run/secrets/ca_certificates ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca_certificates; fi; \
    npm ci --omit=dev --ignore-scripts

# 3. The runtime: compiled JS, production modules, an unprivileged user.
FROM node:24.19.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
# The REST EDS server, registration API and page; the gRPC xDS server.
EXPOSE 8080 18000
# Asks the agent at the port and address its own flags and environment gave it (read from
# /proc, so `--port` and `--bind` count as well as EDS_AGENT_PORT). Node has fetch built in.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "dist/healthcheck.js"]
# As `npm start` runs it. glibc's malloc keeps what Node's HTTP/2, zlib and buffers freed (one
# arena per thread, and a threshold for returning memory that grows with each large free): two
# arenas and fixed thresholds give most of it back after a burst (BENCHMARKS.md, hostile input).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072
# --optimize-for-size: V8 keeps the heap small (about 100 MB of RSS at 10,000 endpoints instead
# of 130-170 MB, and under hostile input too) for less throughput; see BENCHMARKS.md.
ENTRYPOINT ["node", "--optimize-for-size", "dist/main.js"]
