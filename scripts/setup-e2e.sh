#!/usr/bin/env bash
# Installs what the e2e tier needs (Debian's Chromium, code-server 4.100.3 outside the repo's dependencies); idempotent.
#
# Usage: bash scripts/setup-e2e.sh        (as root on a fresh Debian/Ubuntu machine)
# Env:   AIRLOCK_E2E_HOME  install root (default /opt/airlock-e2e); code-server goes to $AIRLOCK_E2E_HOME/code-server
# Exit:  0 ready, 3 not root and something needs root (the exact commands are printed), other = a step failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh

CODE_SERVER_VERSION=4.100.3
# code-server 4.100.3 pulls @vscode/ripgrep 1.15.11, whose postinstall downloads rg from GitHub unless it finds this file.
RIPGREP_PKG_VERSION=1.15.11
RIPGREP_TARBALL=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
E2E_HOME="${AIRLOCK_E2E_HOME:-/opt/airlock-e2e}"
CS_DIR="$E2E_HOME/code-server"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"
APT_PACKAGES=(chromium libkrb5-dev build-essential pkg-config python3)

step_start=0
step() { step_start=$(date +%s%N); printf '[setup-e2e] %s ...\n' "$1"; }
done_step() { printf '[setup-e2e]   %s (%d ms)\n' "$1" $(( ($(date +%s%N) - step_start) / 1000000 )); }

installed_version() {
  local pj="$CS_DIR/node_modules/code-server/package.json"
  [[ -x "$CS_BIN" && -f "$pj" && -f "$CS_DIR/.airlock-installed" ]] || return 0
  node -p "require('$pj').version" 2>/dev/null || true
}

missing_apt() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$p"
  done
}

step "checking apt packages (${APT_PACKAGES[*]})"
missing="$(missing_apt)"
done_step "missing: ${missing:-none}"

have_cs="$(installed_version)"
need_cs=1; [[ "$have_cs" == "$CODE_SERVER_VERSION" ]] && need_cs=0

if [[ $(id -u) -ne 0 ]]; then
  cs_writable=1
  if [[ $need_cs -eq 1 ]]; then mkdir -p "$E2E_HOME" 2>/dev/null && [[ -w "$E2E_HOME" ]] || cs_writable=0; fi
  if [[ -n "$missing" || $cs_writable -eq 0 ]]; then
    echo "[setup-e2e] not root: install these, then run this script again (or run it with sudo):"
    [[ -n "$missing" ]] && echo "  sudo apt-get install -y --no-install-recommends $missing"
    if [[ $cs_writable -eq 0 ]]; then
      echo "  sudo mkdir -p $E2E_HOME && sudo chown $(id -un) $E2E_HOME   # or set AIRLOCK_E2E_HOME to a writable directory"
    fi
    exit 3
  fi
fi

if [[ -n "$missing" ]]; then
  step "apt-get install $missing"
  # shellcheck disable=SC2086
  apt_install $missing
  done_step "installed $missing"
fi

if [[ $need_cs -eq 0 ]]; then
  step "code-server $CODE_SERVER_VERSION"
  done_step "already installed at $CS_BIN"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/airlock-e2e-setup.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  step "ripgrep binary from @vscode/ripgrep-universal (the npm registry stands in for GitHub)"
  (cd "$work" && npm pack --silent @vscode/ripgrep-universal@1.18.0 >/dev/null && tar -xzf vscode-ripgrep-universal-*.tgz)
  mkdir -p "$work/tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION" "$work/rg"
  cp "$work/package/bin/linux-x64/rg" "$work/rg/rg" && chmod +x "$work/rg/rg"
  tar -czf "$work/tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION/$RIPGREP_TARBALL" -C "$work/rg" rg
  done_step "cached $RIPGREP_TARBALL"

  step "npm install code-server@$CODE_SERVER_VERSION into $CS_DIR (native modules build from source, ~1 min)"
  staging="$E2E_HOME/.code-server.staging"
  rm -rf "$staging" && mkdir -p "$staging"
  echo '{ "name": "airlock-e2e-code-server", "private": true }' >"$staging/package.json"
  # --unsafe-perm: postinstalls must run as root; npm_config_yes: node-pty's postinstall runs `npx node-gyp`.
  (cd "$staging" && TMPDIR="$work/tmp" npm_config_yes=true npm install --no-save --no-audit --no-fund --unsafe-perm \
      --loglevel=error "code-server@$CODE_SERVER_VERSION" >"$work/npm.log" 2>&1) || {
    tail -40 "$work/npm.log"; echo "[setup-e2e] npm install code-server failed (log above)"; exit 1; }
  [[ -x "$staging/node_modules/.bin/code-server" ]] || { echo "[setup-e2e] code-server binary missing after install"; exit 1; }
  touch "$staging/.airlock-installed"
  rm -rf "$CS_DIR" && mv "$staging" "$CS_DIR"
  done_step "installed $CS_BIN"
fi

step "checking the installs"
[[ -x /usr/bin/chromium ]] || { echo "[setup-e2e] /usr/bin/chromium is missing"; exit 1; }
xdg="$(mktemp -d)"  # code-server writes under ~/.config and ~/.local/share even for --version
v="$(XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" "$CS_BIN" --version 2>/dev/null | grep -m1 -E "^[0-9]+\."  || true)"
rm -rf "$xdg"
done_step "code-server $v; $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
echo "[setup-e2e] ready: AIRLOCK_CODE_SERVER=$CS_BIN"
