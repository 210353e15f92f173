#!/usr/bin/env bash
# Makes sure container engines answer: Docker (dockerd) and, with --podman, Podman's Docker-compatible service.
# Installs Debian's docker.io / podman when missing and we are root; otherwise says exactly what to install.
set -euo pipefail
want_podman=0
for a in "$@"; do [ "$a" = "--podman" ] && want_podman=1; done

have() { command -v "$1" >/dev/null 2>&1; }
as_root() { [ "$(id -u)" = 0 ]; }
source "$(dirname "$0")/apt.sh"
wait_sock() { # path, seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do
    curl -s --max-time 1 --unix-socket "$1" http://x/_ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

docker_sock=/var/run/docker.sock
if [ -n "${DOCKER_HOST:-}" ] && docker version >/dev/null 2>&1; then
  echo "docker: answering at $DOCKER_HOST" >&2
elif curl -s --max-time 2 --unix-socket "$docker_sock" http://x/_ping >/dev/null 2>&1; then
  echo "docker: answering at $docker_sock" >&2
else
  have dockerd || apt_install docker.io
  as_root || { echo "error ENGINE_DOWN: dockerd is installed but not running" >&2; echo "  hint: sudo systemctl start docker" >&2; exit 3; }
  # A dockerd killed with its session leaves a stale pid file that blocks the next start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
  if [ -f /var/run/docker/containerd/containerd.pid ] && ! kill -0 "$(cat /var/run/docker/containerd/containerd.pid)" 2>/dev/null; then rm -f /var/run/docker/containerd/containerd.pid; fi
  mkdir -p /var/log/airlock
  (cd / && setsid dockerd >/var/log/airlock/dockerd.log 2>&1 < /dev/null &)
  wait_sock "$docker_sock" 60 || { echo "error ENGINE_START: dockerd did not answer within 60 s" >&2; tail -20 /var/log/airlock/dockerd.log >&2; exit 3; }
  echo "docker: started dockerd" >&2
fi

if [ "$want_podman" = 1 ]; then
  podman_sock=/run/podman/podman.sock
  if curl -s --max-time 2 --unix-socket "$podman_sock" http://x/_ping >/dev/null 2>&1; then
    echo "podman: answering at $podman_sock" >&2
  else
    have podman || apt_install podman
    as_root || { echo "error ENGINE_DOWN: podman service not running" >&2; echo "  hint: systemctl --user start podman.socket" >&2; exit 3; }
    mkdir -p /run/podman /var/log/airlock
    (cd / && setsid podman system service --time=0 "unix://$podman_sock" >/var/log/airlock/podman.log 2>&1 < /dev/null &)
    wait_sock "$podman_sock" 30 || { echo "error ENGINE_START: podman service did not answer within 30 s" >&2; tail -20 /var/log/airlock/podman.log >&2; exit 3; }
    echo "podman: started podman system service" >&2
  fi
fi
