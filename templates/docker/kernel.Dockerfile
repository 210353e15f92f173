# The kernel image from a registry base (the offline builder, templates/builder/kernel-image.ts + node-rootfs.ts, makes the same without one).
# Build from the repository root after `npm run build`:
#   docker build --build-arg BASE=HOST/PREFIX/base@sha256:… -f templates/docker/kernel.Dockerfile -t airlock/kernel:registry .
# and point bootstrap at it with AIRLOCK_KERNEL_IMAGE=airlock/kernel:registry.
# The natives (better-sqlite3, the peer-credential addon) are the prebuilt ones from dist/node_modules: npm cannot
# reach its registry from a build container on every machine (here a TLS-intercepting proxy's CA is only on the host).
# The build loads them with the image's own node, so an ABI mismatch fails the build, not the kernel's first start.
ARG BASE=node:20-bookworm-slim
FROM ${BASE}

# Same layout as the offline image (the asset resolver's "image" layout, protocol/src/node/assets.ts): node at
# /usr/bin/node, the package root at /opt/airlock (dist/kernel, policies, templates, examples), empty mount points.
RUN node=$(command -v node); [ "$node" = /usr/bin/node ] || ln -sf "$node" /usr/bin/node; true \
 && mkdir -p /workspace /state /run/airlock \
 && chmod 1777 /tmp

COPY dist/kernel /opt/airlock/dist/kernel
# Module by module: dist/node_modules also holds the CLI's keychain binding (@napi-rs), which the kernel never loads.
COPY dist/node_modules/airlock-peercred /opt/airlock/dist/node_modules/airlock-peercred
COPY dist/node_modules/better-sqlite3 /opt/airlock/dist/node_modules/better-sqlite3
COPY dist/node_modules/bindings /opt/airlock/dist/node_modules/bindings
COPY dist/node_modules/file-uri-to-path /opt/airlock/dist/node_modules/file-uri-to-path
COPY policies /opt/airlock/policies
COPY templates/sandbox /opt/airlock/templates/sandbox
COPY templates/seccomp /opt/airlock/templates/seccomp
COPY examples /opt/airlock/examples
# The built-in plugins: the kernel hashes its own copy to pre-approve the host's (kernel/src/plugins/builtins.ts).
COPY dist/plugins /opt/airlock/dist/plugins
# Policy predicates run in Deno (the npm package's binary).
COPY node_modules/deno/deno /opt/airlock/node_modules/deno/deno
RUN node -e "for (const m of ['better-sqlite3', 'airlock-peercred']) require('/opt/airlock/dist/node_modules/' + m)"

# The user comes from bootstrap (the host's uid, so the socket and state files are the person's).
WORKDIR /opt/airlock
LABEL airlock.owner=airlock airlock.role=kernel-image
CMD ["/usr/bin/node", "/opt/airlock/dist/kernel/kernel.js"]
