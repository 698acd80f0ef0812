# muster: the service with its embedded store on a volume (/data), or a
# PostgreSQL server through DATABASE_URL (see compose.yaml).
#
# Stage 1 installs the production dependencies from the lock file. Install
# scripts are skipped: the native parts (argon2, bcrypt) come as prebuilt
# optional packages, PGlite is WebAssembly, and the image's own Node 24 runs
# the TypeScript sources directly (type stripping), so nothing is compiled.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# Stage 2: the runtime, as the unprivileged `node` user.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=8080 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The flags of `npm start` (package.json), without npm in between, so SIGTERM
# reaches muster itself and shuts it down gracefully.
CMD ["node", "--liftoff-only", "--max-semi-space-size=4", "--max-old-space-size=1024", "src/main.ts"]
