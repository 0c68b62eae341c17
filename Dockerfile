# One image for every driftwatch service; docker-compose.yml picks the service by command,
# e.g. `node dist/services/embedded/main.js`.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first: the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs scripts/copy-assets.mjs
COPY schemas schemas
COPY shared shared
COPY services services
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The retrainer's model store volume mounts here; a named volume takes this owner, so the
# non-root user can write versions into it.
RUN mkdir -p /var/lib/driftwatch/models && chown node:node /var/lib/driftwatch/models
USER node
CMD ["node", "dist/services/embedded/main.js"]
