# syntax=docker/dockerfile:1
# One image per service, from this one file:
#   docker build --build-arg SERVICE=chat -t chatorbit/chat .      (gateway | auth | user | chat)
#
# Node 24 runs the TypeScript sources directly (type stripping, no build step). Node refuses to
# strip types under node_modules, so the workspace packages (@chatorbit/shared) must stay outside
# it: `pnpm deploy` copies them into node_modules, which breaks that. Instead the image keeps the
# workspace layout and installs only the production dependencies of the one service and its
# workspace dependencies (`pnpm install --filter @chatorbit/<service>...`), offline, from a store
# that `pnpm fetch` filled from the lockfile alone (a layer shared by the four images and kept
# until the lockfile changes).
#
# The runtime runs as uid 10001 with nothing writable in the image (the chart mounts an emptyDir
# on /tmp and sets readOnlyRootFilesystem), and `node` is PID 1: the services handle SIGTERM
# themselves (chat closes its sockets with 1001 and lets the persister finish, then exits).

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS pnpm
ENV PATH=/pnpm/bin:$PATH
RUN npm install --global --no-audit --no-fund --prefix /pnpm pnpm@12
WORKDIR /src

FROM pnpm AS fetch
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --prod --store-dir /pnpm/store

FROM fetch AS build
ARG SERVICE
RUN case "$SERVICE" in gateway|auth|user|chat) ;; \
      *) echo "build with --build-arg SERVICE=gateway|auth|user|chat (got '$SERVICE')" >&2; exit 1 ;; esac
COPY package.json ./
COPY services/ services/
# Then keep only this service and the shared package, without their tests.
RUN pnpm install --offline --prod --frozen-lockfile --store-dir /pnpm/store --filter "@chatorbit/${SERVICE}..." \
 && find services -mindepth 1 -maxdepth 1 ! -name shared ! -name "$SERVICE" -exec rm -rf {} + \
 && find services -name '*.test.ts' -delete

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="chatorbit-${SERVICE}" \
      org.opencontainers.image.description="ChatOrbit ${SERVICE} service" \
      org.opencontainers.image.source="https://github.com/chatorbit/chatorbit"
# The runtime needs node and nothing else: no package managers to exploit or to flag in scans.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
COPY --from=build /src/package.json /app/package.json
COPY --from=build /src/node_modules /app/node_modules
COPY --from=build /src/services /app/services
WORKDIR /app/services/${SERVICE}
ENV NODE_ENV=production
USER 10001:10001
# Exec form without a shell or the image's entrypoint script: node is PID 1 and gets SIGTERM.
ENTRYPOINT ["node"]
CMD ["src/main.ts"]
