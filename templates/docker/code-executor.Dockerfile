# The `debian` recipe (code-executor) from a registry base; the offline builder (templates/builder/debian-rootfs.ts:
# debootstrap minbase + git, ca-certificates, plus the host's node and npm) makes the same without one.
#   docker build -f templates/docker/code-executor.Dockerfile -t airlock/code-executor:registry .
# The runtime picks the newest image labelled airlock.image-for=debian, so nothing else needs changing.
FROM node:20-bookworm-slim

# Shell, coreutils and perl-base come with Debian; git and CA certificates as in the offline recipe; tini as PID 1.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && ln -sf /usr/local/bin/node /usr/bin/node \
 && install -D -m 0111 /usr/local/bin/node /usr/libexec/airlock/node && chmod 0111 /usr/bin/tini \
 && userdel node \
 && groupadd -g 1000 airlock \
 && useradd -u 1000 -g 1000 -d /tmp -s /bin/sh -c 'airlock sandbox' -M airlock \
 && chmod 1777 /tmp

# No /workspace in the image: the engine creates the mount point, and Podman gives a new volume's root the container's
# user (the workspace user) rather than an image folder's owner.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV HOME=/tmp
WORKDIR /tmp
# No USER here: the template's `user` (1000:1000) is applied when a sandbox is created.
LABEL airlock.owner=airlock
LABEL airlock.image-for=debian
