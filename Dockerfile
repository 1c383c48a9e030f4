# syntax=docker/dockerfile:1
# The mesh's two images, built from this repository (`npm run images`; charts/README.md "Images"):
#   --target pilot    istiod                         → <global.hub>/pilot:<global.tag>   (charts: pilot.image)
#   --target proxyv2  mesh-proxy, whose `istio-iptables` command the injected istio-init container runs
#                                                     → <global.hub>/proxyv2:<global.tag> (global.proxy.image)
# The Node image is pinned to the release package.json pins (node ^24.21.0) on Debian 12; pass
# --build-arg NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest> to pin the digest a registry serves.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# One build of the whole workspace (dist of every app and lib), shared by both images.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx nx run-many -t build --projects=@mesh/istiod,@mesh/proxy --outputStyle=static \
 && npm prune --omit=dev --no-audit --no-fund

# What every runtime needs: the production node_modules (workspace packages are links into libs/ and
# apps/), the libs' package.json and dist. Owned by root, read-only to the 1337 user the programs run as.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/libs ./libs
ENV NODE_ENV=production

FROM runtime AS pilot
COPY --from=build /src/apps/istiod ./apps/istiod
RUN ln -s /app/apps/istiod/bin/istiod.js /usr/local/bin/istiod
USER 1337:1337
EXPOSE 15010 15012 15014 15017
ENTRYPOINT ["istiod"]

FROM runtime AS proxyv2
# iptables-restore for `mesh-proxy istio-iptables` (istio-init, as root with NET_ADMIN); nothing else.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/apps/proxy ./apps/proxy
# The container's entry point is mesh-proxy, so Istio's `args: [istio-iptables, ...]` run
# `mesh-proxy istio-iptables ...`; `istio-iptables` is also a command of its own for `command:` users.
# `pilot-agent` is what the injected container's lifecycle hooks exec (preStop `pilot-agent request ...
# POST drain`, postStart `pilot-agent wait`).
RUN ln -s /app/apps/proxy/bin/mesh-proxy.js /usr/local/bin/mesh-proxy \
 && printf '#!/bin/sh\nexec mesh-proxy istio-iptables "$@"\n' > /usr/local/bin/istio-iptables \
 && printf '#!/bin/sh\nexec mesh-proxy pilot-agent "$@"\n' > /usr/local/bin/pilot-agent \
 && chmod 0755 /usr/local/bin/istio-iptables /usr/local/bin/pilot-agent
USER 1337:1337
EXPOSE 15001 15006 15020 15021 15090
ENTRYPOINT ["mesh-proxy"]
