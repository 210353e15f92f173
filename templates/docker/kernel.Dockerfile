# The kernel image from a registry base (the offline builder, bootstrap/kernel.ts + templates/builder/node-rootfs.ts, makes the same without one).
# Build from the repository root after `npm run build`:
#   docker build -f templates/docker/kernel.Dockerfile -t airlock/kernel:registry .
# and point bootstrap at it with AIRLOCK_KERNEL_IMAGE=airlock/kernel:registry.
FROM node:20-bookworm-slim

# Same layout as the offline image: node at /usr/bin/node, the bundle and its data under /opt/airlock, empty mount points.
RUN ln -sf /usr/local/bin/node /usr/bin/node \
 && mkdir -p /workspace /state /run/airlock \
 && chmod 1777 /tmp

COPY dist/kernel /opt/airlock/kernel
COPY policies /opt/airlock/policies
COPY templates/sandbox /opt/airlock/templates/sandbox
COPY templates/seccomp /opt/airlock/templates/seccomp
COPY examples /opt/airlock/examples

# The user comes from bootstrap (the host's uid, so the socket and state files are the person's).
WORKDIR /opt/airlock
LABEL airlock.owner=airlock airlock.role=kernel-image
CMD ["/usr/bin/node", "/opt/airlock/kernel/kernel.js"]
