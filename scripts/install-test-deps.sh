#!/usr/bin/env bash
# System packages the test suite uses (real servers and a real browser):
#   nats-server  NATS adapter and scale-out tests (started by the tests on free loopback ports)
#   chromium     the dashboard test (driven by playwright-core)
#   systemd      systemd-analyze verify of examples/systemd/pushmesh.service (~5 MB; nothing is started)
# The Google Pub/Sub emulator (gcloud + Java 17) is preinstalled on CI machines.
# Safe to run again: installs only what is missing. Needs root (or sudo).
set -euo pipefail

want=(nats-server chromium systemd "$@")
need=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
