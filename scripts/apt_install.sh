#!/usr/bin/env bash
# Installs Debian packages when the command they provide is missing (idempotent):
#   scripts/apt_install.sh COMMAND PACKAGE...
# The chat widget needs npm (to vendor rasa-webchat) and chromium (for its browser test;
# Playwright drives this system browser and never downloads one).
set -euo pipefail
cmd=$1
shift
if command -v "$cmd" >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing $* ($cmd is missing)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
