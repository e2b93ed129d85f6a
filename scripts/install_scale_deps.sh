#!/usr/bin/env bash
# Installs Redis and PostgreSQL from Debian packages for `make test-scale`, when missing.
# Idempotent: does nothing (not even `apt-get update`) when both are already installed.
# The test starts its own instances on free loopback ports; it never uses system services.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing ${missing[*]} (Debian packages) for the scale-out test"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
