#!/usr/bin/env bash
# System packages the test suite uses (real servers and a real browser).
# Safe to run again: it installs only what is missing. Needs root (or sudo).
set -euo pipefail

need=()
# (filled in as the suite grows: nats-server for the NATS adapter, chromium for the dashboard)
for spec in "$@"; do need+=("$spec"); done

if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
