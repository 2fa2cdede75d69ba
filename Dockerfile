# scf-local in a container: Debian (bookworm) with Node.js 20, Python 3 (Python functions), bubblewrap and
# slirp4netns for the function sandbox, `scf-local serve --host 0.0.0.0`, data in the /data volume. See "Docker" in README.md.
#
#   docker build -t scf-local .
#   docker run --rm -p 127.0.0.1:9000:9000 -v scf-local-data:/data \
#     --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#     --security-opt systempaths=unconfined --device /dev/net/tun --stop-timeout 15 scf-local
#
# Without the --security-opt/--device flags the server still starts, but bubblewrap cannot create its
# sandbox inside Docker's default confinement: the server then says at start-up and in /healthz that
# functions are NOT ISOLATED (runtime.sandbox "auto"), or refuses to start with SCF_LOCAL_SANDBOX=required.

# Build: compile the TypeScript and the native modules (better-sqlite3, fs-ext) with the full image's
# toolchain, then drop the development dependencies.
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No lifecycle scripts yet (`prepare` needs the sources); the two native modules are built just after.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3 fs-ext
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY scripts/copy-assets.mjs ./scripts/copy-assets.mjs
# The web console's sources: `npm run build` bundles them into dist/console (Vite and its bundler are dev
# dependencies, pruned after).
COPY web ./web
# tsconfig.json also compiles test/ and bench/ in a checkout; here there are none, so only dist/src is built.
RUN npm run build && npm prune --omit=dev

# Run: the slim image, the sandbox's tools, the built package; no compiler, no sources.
FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends bubblewrap slirp4netns tini ca-certificates python3 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/scf-local
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/console ./dist/console
COPY --from=build /src/bin ./bin
COPY README.md LICENSE ./
COPY docs ./docs
COPY examples ./examples
RUN ln -s /opt/scf-local/bin/scf-local.js /usr/local/bin/scf-local \
  && mkdir /data && chown node:node /data
# Not root: the sandbox then runs functions as this user inside their own user namespace.
USER node
WORKDIR /data
ENV SCF_LOCAL_DATA_DIR=/data
VOLUME /data
EXPOSE 9000
# tini is PID 1: it forwards SIGTERM to scf-local (which drains, see docs/configuration.md "Stopping") and
# reaps any orphaned process.
ENTRYPOINT ["tini", "--", "scf-local"]
CMD ["serve", "--host", "0.0.0.0"]
