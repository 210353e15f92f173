#!/usr/bin/env bash
# CI: the README's `npm start` as a new user runs it — a fresh clone at a path with a space, as a non-root user in the
# docker group (created here when CI runs as root). Fails unless the demo ends with the tests passing on the host.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
user=airlocktest
if [ "$(id -u)" = 0 ]; then
  id -u "$user" >/dev/null 2>&1 || useradd -m -G docker "$user"
  home=$(getent passwd "$user" | cut -d: -f6)
  # These machines' /tmp is 0755 (a user's usually is 1777): the user gets a temp folder of their own. npm builds native
  # modules against the installed headers (no download here).
  install -d -o "$user" -g "$(id -gn "$user")" "$home/tmp"
  as_user() { runuser -u "$user" -- env -i HOME="$home" TMPDIR="$home/tmp" PATH=/usr/local/bin:/usr/bin:/bin npm_config_nodedir=/usr "$@"; }
else
  home=$HOME
  as_user() { "$@"; }
fi
parent="$home/my projects"
rm -rf "$parent"
mkdir -p "$parent"
git clone -q "$src" "$parent/airlock clone"
[ "$(id -u)" = 0 ] && chown -R "$user:" "$parent"
log=$(mktemp)
cd "$parent/airlock clone"
status=0
as_user npm start 2>&1 | tee "$log" || status=$?
# The demo's last steps: the merged tests pass on the host, then "Done."
if [ "$status" -ne 0 ] || ! grep -q '== The tests pass on the host' "$log" || ! grep -q '== Done\.' "$log"; then
  echo "npm start from '$parent/airlock clone' as $(as_user id -un) failed (exit $status)" >&2
  exit 1
fi
echo "npm start from '$parent/airlock clone' as $(as_user id -un): the demo merged the fix and the tests pass on the host"
