# syntax=docker/dockerfile:1
# b2b-authz: the policy bundle compiled with the pinned OPA, then a slim Node 20 runtime with production deps only.

# 1. Compile the Rego to Wasm with the same OPA version as the repository (scripts/opa-version.sh).
FROM golang:1.24-bookworm AS policy
WORKDIR /src
COPY scripts/opa-version.sh scripts/policy.sh scripts/
RUN . scripts/opa-version.sh && GOBIN=/usr/local/bin go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
COPY policies.capabilities.json ./
COPY policies/ policies/
RUN OPA_BIN=/usr/local/bin/opa bash scripts/policy.sh bundle

# 2. Production dependencies only.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. Runtime: non-root, the compiled bundle, the sources (run by tsx), a health check on /health.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8181
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules node_modules
COPY --chown=node:node package.json ./
COPY --chown=node:node src/ src/
COPY --from=policy --chown=node:node /src/bundle/ bundle/
USER node
EXPOSE 8181
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8181)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "src/main.ts"]
