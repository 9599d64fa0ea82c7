# syntax=docker/dockerfile:1
# b2b-authz: the policy bundle compiled with the pinned OPA, the TypeScript compiled to dist/, then a slim Node 20
# runtime with production deps only, running the compiled JavaScript.

# 1. Compile the Rego to Wasm with the same OPA version as the repository (scripts/policy-tool-versions.sh); OPA v1.22
#    needs Go 1.26.
FROM golang:1.26-bookworm AS policy
WORKDIR /src
COPY scripts/policy-tool-versions.sh scripts/policy.sh scripts/
RUN . scripts/policy-tool-versions.sh && GOBIN=/usr/local/bin go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
COPY policies.capabilities.json ./
COPY policies/ policies/
RUN OPA_BIN=/usr/local/bin/opa bash scripts/policy.sh bundle

# 2. The TypeScript compiled to dist/ (tsc, with the SQL migrations copied beside it), and the decision explorer built
#    by Vite into dist/explorer/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/
COPY src/ src/
COPY explorer/ explorer/
RUN npm run build

# 3. Production dependencies only (no build step: dist/ comes from the stage above).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 4. Runtime: non-root, the compiled bundle and JavaScript, a health check on /health.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8181
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules node_modules
COPY --chown=node:node package.json ./
COPY --from=build --chown=node:node /app/dist/ dist/
COPY --from=policy --chown=node:node /src/bundle/ bundle/
USER node
EXPOSE 8181
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8181)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
