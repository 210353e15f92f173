# The `debian` recipe (code-executor) built by the engine FROM a base from a registry; the offline builder
# (templates/builder/debian-rootfs.ts: debootstrap minbase + git, ca-certificates, python3, plus the host's node and npm) makes
# the same without one.
#   docker build --build-arg BASE=HOST/PREFIX/base@sha256:… -f templates/docker/code-executor.Dockerfile .
# BASE: Node.js 20 on Debian bookworm (node:20-bookworm-slim, or Airlock's imported Debian base, which already has git,
# CA certificates, python3 and tini: then the build needs no network). The runtime picks the newest image labelled
# airlock.image-for=debian, so nothing else needs changing.
ARG BASE=node:20-bookworm-slim
FROM ${BASE}

# Shell, coreutils and perl-base come with Debian; git, CA certificates and python3 as in the offline recipe; tini as PID 1.
RUN set -e; \
 missing=; for c in git python3 tini; do command -v $c >/dev/null || missing="$missing $c"; done; \
 [ -e /etc/ssl/certs/ca-certificates.crt ] || missing="$missing ca-certificates"; \
 [ -z "$missing" ] || { apt-get update && apt-get install -y --no-install-recommends $missing && rm -rf /var/lib/apt/lists/*; }; \
 node=$(command -v node); [ "$node" = /usr/bin/node ] || ln -sf "$node" /usr/bin/node; \
 install -D -m 0111 "$node" /usr/libexec/airlock/node && chmod 0111 "$(command -v tini)"; \
 if getent passwd 1000 >/dev/null; then userdel "$(getent passwd 1000 | cut -d: -f1)"; fi; \
 getent group 1000 >/dev/null && groupdel "$(getent group 1000 | cut -d: -f1)" || true; \
 groupadd -g 1000 airlock && useradd -u 1000 -g 1000 -d /tmp -s /bin/sh -c 'airlock sandbox' -M airlock; \
 chmod 1777 /tmp

# No /workspace in the image: the engine creates the mount point, and Podman gives a new volume's root the container's
# user (the workspace user) rather than an image folder's owner.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV HOME=/tmp
WORKDIR /tmp
# No USER here: the template's `user` (1000:1000) is applied when a sandbox is created.
LABEL airlock.owner=airlock
LABEL airlock.image-for=debian
