#!/usr/bin/env bash
# Runs the README's test command as on a machine with only Docker and Node: in a fresh clone of
# this checkout, in a mount namespace of its own where busybox, both Composes, Envoy, Python,
# Chromium, Go, Podman and sshd are hidden. `npm test` must exit 0 and end by listing what it
# skipped and how to install it. Needs root (unshare, mount) and a Docker engine.
#
#   bash scripts/as-newcomer.sh [clone folder, default /tmp/eds-agent-newcomer]
set -euo pipefail
if [ "${1:-}" != --inside ]; then
  clone=${1:-/tmp/eds-agent-newcomer}
  rm -rf "$clone"
  git clone --quiet "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" "$clone"
  exec unshare --mount --propagation private bash "$clone/scripts/as-newcomer.sh" --inside "$clone"
fi
clone=$2
for tool in busybox docker-compose python3 chromium podman sshd envoy go; do
  for path in $(type -ap "$tool" 2>/dev/null) "/usr/bin/$tool" "/usr/sbin/$tool"; do
    [ -e "$path" ] && mount --bind /dev/null "$path"
  done
done
for plugins in /usr/local/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins ~/.docker/cli-plugins; do
  [ -d "$plugins" ] && mount -t tmpfs none "$plugins"
done
unset EDS_AGENT_TEST_ENVOY EDS_AGENT_TEST_BUSYBOX CI
cd "$clone"
npm install --no-audit --no-fund
npm test
