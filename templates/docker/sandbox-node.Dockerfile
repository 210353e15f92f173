# The `node` recipe (ai-provider, policy-sandbox, integration-test) from a registry base; the offline builder
# (templates/builder/sandbox-images.ts + node-rootfs.ts) makes the same from the host's Node without one.
#   docker build -f templates/docker/sandbox-node.Dockerfile -t airlock/sandbox-node:registry .
# The runtime picks the newest image labelled airlock.image-for=node, so nothing else needs changing.
FROM node:20-bookworm-slim

# tini as PID 1 reaps orphans (a killed fork bomb frees the pids limit); the sandbox user is uid 1000, home /tmp.
# tini and the exec agent's own node are execute-only: commands cannot open their /proc/<pid>/fd or mem.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && ln -sf /usr/local/bin/node /usr/bin/node \
 && install -D -m 0111 /usr/local/bin/node /usr/libexec/airlock/node && chmod 0111 /usr/bin/tini \
 && groupmod -n sandbox node && usermod -l sandbox -d /tmp -s /sbin/nologin node \
 && mkdir -p /workspace /state \
 && chmod 1777 /tmp

ENV HOME=/tmp
WORKDIR /tmp
# No USER here: the template's `user` (1000:1000) is applied when a sandbox is created.
LABEL airlock.owner=airlock
LABEL airlock.image-for=node
