#!/usr/bin/env bash
# Set-up for a fresh Debian/Ubuntu machine. `setup.sh main`: what `npm start` needs (Node deps, a container engine,
# a build). `setup.sh test`: also Podman and the real-VS-Code e2e tier (code-server, Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-main}
source scripts/apt.sh
t0=$SECONDS
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "error NODE_TOO_OLD: Airlock needs Node.js 20 or newer (found $(node --version))" >&2; exit 3; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund >&2
fi
command -v curl >/dev/null || apt_install curl
if [ "$mode" = test ]; then
  # ESLint with its own TypeScript (typescript-eslint needs < 6.1; the project builds with 7): scripts/lint-code.mjs.
  [ -x tools/lint/node_modules/.bin/eslint ] && [ ! tools/lint/package-lock.json -nt tools/lint/node_modules/.package-lock.json ] \
    || npm ci --prefix tools/lint --no-audit --no-fund >&2
  bash scripts/engines.sh --podman
  { command -v rg && command -v getfattr && command -v debootstrap && command -v socat && command -v git; } >/dev/null || apt_install ripgrep socat debootstrap git attr
  # Rootless Podman for a normal user (test/integration/shipped/rootless-podman.test.ts).
  { command -v newuidmap && command -v slirp4netns && command -v fuse-overlayfs; } >/dev/null || apt_install uidmap slirp4netns fuse-overlayfs
  # A registry on loopback for the publish / pull-by-digest tests (test/integration/images/registry.test.ts).
  [ -x /usr/bin/docker-registry ] || apt_install docker-registry
  # gVisor for sandbox.runtime runsc, registered only with a private dockerd (test/integration/runtime/runsc.test.ts).
  [ -x /usr/bin/runsc ] || apt_install runsc
  # Shells whose completion scripts `airlock completion` writes (test/unit/cli/completion.test.ts).
  { command -v zsh && command -v fish; } >/dev/null || apt_install zsh fish
  # A private Secret Service for the keychain test (test/integration/cli/keychain.test.ts): gnome-keyring on a D-Bus
  # session bus of the test's own. The keychain binding links libdbus statically: libsecret is not needed.
  { command -v gnome-keyring-daemon && command -v dbus-daemon && command -v dbus-send; } >/dev/null || apt_install --no-install-recommends gnome-keyring dbus
  [ -f scripts/setup-e2e.sh ] && bash scripts/setup-e2e.sh
else
  bash scripts/engines.sh
  # debootstrap builds the code-executor image's Debian base (root only; /usr/sbin is not on a normal user's PATH).
  # A normal user needs it only when that image is not built yet: the image builder then says what to run.
  if [ "$(id -u)" = 0 ]; then { command -v debootstrap || [ -x /usr/sbin/debootstrap ]; } >/dev/null || apt_install debootstrap; fi
fi
node scripts/build.mjs >&2
# Pre-cache the sandbox images (offline builds, cached by content hash) so the first task does not wait for them.
engines=docker; [ "$mode" = test ] && engines="docker podman"
for e in $engines; do node --require tsx/cjs templates/builder/sandbox-images-main.ts "$e" >&2; done
echo "setup ($mode) done in $((SECONDS - t0)) s" >&2
