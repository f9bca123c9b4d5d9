#!/usr/bin/env bash
# Installs what sluice needs to build and test on Debian 12, idempotently: packages already present
# are skipped, so a warm machine pays only for a few dpkg queries. Boost 1.83 comes from
# bookworm-backports, enabled by deriving a sources entry from the machine's own Debian sources
# (no mirror address lives in this repository).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang clang-format clang-tidy
  libboost1.83-dev libboost-json1.83-dev libboost-test1.83-dev
  libsqlite3-dev sqlite3 libbenchmark-dev
  prometheus libcli11-dev chromium
)
[ "$#" -gt 0 ] && packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The browser and OTLP payload tests' Node packages (pinned by their package-lock.json files):
# installed once, again only when a lock file changes.
node_packages() {
  local dir
  for dir in test/browser test/otlp; do
    [ -f "$dir/package-lock.json" ] || continue
    if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      echo "install-deps: npm ci in $dir"
      (cd "$dir" && npm ci --no-audit --no-fund --silent)
    fi
  done
}
cd "$(dirname "$0")/.."
if [ "${#missing[@]}" -eq 0 ]; then
  node_packages
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o DPkg::Lock::Timeout=600)

backports=/etc/apt/sources.list.d/sluice-backports.sources
if [ ! -f "$backports" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ]; then
    # First stanza of the machine's own deb822 sources, with the suite swapped for backports.
    awk 'BEGIN{RS=""; ORS="\n\n"} NR==1' "$src" \
      | sed -E 's/^Suites:.*/Suites: bookworm-backports/' | $sudo tee "$backports" >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    grep -E '^deb .* bookworm ' /etc/apt/sources.list | head -n1 \
      | sed -E 's/ bookworm / bookworm-backports /' | $sudo tee /etc/apt/sources.list.d/sluice-backports.list >/dev/null
  else
    echo "install-deps: cannot find Debian sources to derive bookworm-backports from" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
$sudo apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}"
node_packages
