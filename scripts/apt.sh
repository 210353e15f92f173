# Sourced helper: apt_install PKG... installs Debian packages as root (updating the lists once if needed),
# or says exactly what to install and exits 3 when not root.
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "error PACKAGES_MISSING: $* not installed and this user cannot install them" >&2
    echo "  hint: sudo apt-get install -y $*   (then run this command again)" >&2
    exit 3
  fi
  echo "installing $* (apt)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$@" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null; }
}
