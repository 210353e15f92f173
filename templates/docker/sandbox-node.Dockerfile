# The `node` recipe (ai-provider, policy-sandbox, integration-test) built by the engine FROM a base from a registry;
# the offline builder (templates/builder/sandbox-images.ts + node-rootfs.ts) makes the same from the host's Node.
#   docker build --build-arg BASE=HOST/PREFIX/base@sha256:… -f templates/docker/sandbox-node.Dockerfile .
# (templates/builder/dockerfile-build.ts does this through the engine API, with no network for RUN steps.)
# BASE: Node.js 20 on Debian bookworm (node:20-bookworm-slim, or Airlock's imported Debian base). The runtime picks the
# newest image labelled airlock.image-for=node, so nothing else needs changing.
ARG BASE=node:20-bookworm-slim
FROM ${BASE}

# tini as PID 1 reaps orphans (a killed fork bomb frees the pids limit); the sandbox user is uid 1000, home /tmp.
# tini and the exec agent's own node are execute-only: commands cannot open their /proc/<pid>/fd or mem.
# apt only when the base lacks tini (the build then needs a network; Airlock's own base has it).
RUN set -e; \
 command -v tini >/dev/null || { apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*; }; \
 node=$(command -v node); [ "$node" = /usr/bin/node ] || ln -sf "$node" /usr/bin/node; \
 install -D -m 0111 "$node" /usr/libexec/airlock/node && chmod 0111 "$(command -v tini)"; \
 if getent passwd 1000 >/dev/null; then u=$(getent passwd 1000 | cut -d: -f1); g=$(getent group 1000 | cut -d: -f1); \
   groupmod -n sandbox "$g"; usermod -l sandbox -d /tmp -s /sbin/nologin "$u"; \
 else groupadd -g 1000 sandbox && useradd -u 1000 -g 1000 -d /tmp -s /sbin/nologin -M sandbox; fi; \
 mkdir -p /workspace /state; chmod 1777 /tmp

ENV HOME=/tmp
WORKDIR /tmp
# No USER here: the template's `user` (1000:1000) is applied when a sandbox is created.
LABEL airlock.owner=airlock
LABEL airlock.image-for=node
