# syntax=docker/dockerfile:1
# One image for every role (APP_ROLE=api|worker|all) and for the migrate step.
# Node.js 24 LTS, the version of .node-version, pinned by the digest of its multi-platform image
# index: a rebuild gets the same base until the pin is moved on purpose (README, Runtime;
# npm run compose:check fails when the tag, .node-version and package.json engines disagree).

# Build: all dependencies, compile TypeScript to dist/.
FROM node:24.21.0-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npx nest build

# Runtime: production dependencies and the compiled code only, as an unprivileged user.
FROM node:24.21.0-slim@sha256:0e0ff40c39bc087845bfb27465a0df4ea419520094bc35842ff83dd8cbe6f9b6 AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The migrate step creates the service's login role with it (docker-compose.yml).
COPY scripts/create-database.js ./scripts/
USER node
EXPOSE 3000
# The slim image has no curl; Node's fetch asks the liveness probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health/live`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# As npm run start:prod: V8 grows the heap by 75% (not the default up to 4x) between full
# collections, which keeps the resident set under 200 MB under load (bench/README.md).
CMD ["node", "--heap-growing-percent=75", "dist/src/main.js"]
