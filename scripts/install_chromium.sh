#!/usr/bin/env bash
# Installs Debian's chromium for the browser test when it is missing (no browser download
# by Playwright: the test drives this system browser). Idempotent.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing Debian's chromium for the browser test (apt-get install -y chromium)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
