#!/usr/bin/env bash
# Runs one of the assistant's three servers in the foreground, configured only by environment
# variables, as the systemd units in deploy/systemd/ start them (one unit each):
#   scripts/start_service.sh actions   the action server (rasa_sdk)
#   scripts/start_service.sh rasa      the Rasa server: REST, the widget's socket.io, SMS if on
#   scripts/start_service.sh web       the clinic page with the chat widget (web/server.py)
# Every setting, its default and why: deploy/dvt-triage.env.example. Each server binds to
# loopback unless told otherwise; nginx (deploy/nginx/dvt-triage.conf) is the way in.
set -euo pipefail
service=${1:-}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
bin=$root/.venv/bin

fail() {
  echo "start_service.sh $service: $*" >&2
  exit 1
}

# What the Makefile exports for `make run`; a unit does not go through make.
export PYTHONPATH=$root
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
export SQLALCHEMY_SILENCE_UBER_WARNING=${SQLALCHEMY_SILENCE_UBER_WARNING:-1}
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning,ignore::PendingDeprecationWarning}
# Rasa reports usage (and errors, to Sentry) to Rasa Inc. unless told not to.
export RASA_TELEMETRY_ENABLED=${RASA_TELEMETRY_ENABLED:-false}
# Sanic's 5 s default drops a connection the busy Rasa server opened but has not written to yet.
export SANIC_KEEP_ALIVE_TIMEOUT=${SANIC_KEEP_ALIVE_TIMEOUT:-120}

rasa_port=${RASA_PORT:-5005}
actions_port=${ACTIONS_PORT:-5055}
web_port=${WEB_PORT:-8080}
# PUBLIC_URL: the https address patients use (nginx). Unset: the page and Rasa on localhost,
# as `make run` serves them.
public_url=${PUBLIC_URL:-}
public_url=${public_url%/}

need_log_salt() {
  # Two processes, one salt: a conversation must have the same pseudonym in both logs, and a
  # random salt per process (the fallback in rasa_plugins/log_privacy.py) would differ.
  [ -n "${LOG_ID_SALT:-}" ] || fail "set LOG_ID_SALT (e.g. \`openssl rand -hex 16\`) in the environment file"
}

case $service in
actions)
  need_log_salt
  # rasa_sdk 3.6 has no --interface option; it binds to SANIC_HOST (its default is 0.0.0.0).
  SANIC_HOST=${ACTIONS_HOST:-127.0.0.1} exec "$bin/python" scripts/rasa_run.py run actions --actions actions --port "$actions_port"
  ;;
rasa)
  need_log_salt
  export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-http://127.0.0.1:$actions_port/webhook}
  export TRACKER_DB=${TRACKER_DB:-$root/trackers.db}
  # MODEL unset: the model `make train` built from the checked-out code, so that an update
  # that was pulled but not trained stops here instead of serving an old model.
  model=${MODEL:-$(make -s --no-print-directory model-path)}
  [ -f "$model" ] || fail "no model $model: run \`make train\` as the service user"
  credentials=$root/credentials.yml
  if [ "${SMS_ENABLED:-false}" = true ]; then
    for v in TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_NUMBER; do
      [ -n "${!v:-}" ] || fail "SMS_ENABLED=true needs $v"
    done
    export SMS_WEBHOOK_URL=${SMS_WEBHOOK_URL:-${public_url:?SMS_ENABLED=true needs PUBLIC_URL or SMS_WEBHOOK_URL}/webhooks/sms/webhook}
    export SMS_VALIDATE_SIGNATURE=${SMS_VALIDATE_SIGNATURE:-true}
    export SMS_DB=${SMS_DB:-$(dirname "$TRACKER_DB")/sms.db}
    export TWILIO_API_BASE_URL=${TWILIO_API_BASE_URL:-https://api.twilio.com}
    # The SMS channel is a file of its own (see credentials.sms.yml); it holds ${VAR} names,
    # no secrets. RUNTIME_DIRECTORY: the unit's private directory, removed when it stops.
    credentials=$(mktemp "${RUNTIME_DIRECTORY:-${TMPDIR:-/tmp}}/dvt-credentials.XXXXXX")
    { cat "$root/credentials.yml"; echo; cat "$root/credentials.sms.yml"; } > "$credentials"
  fi
  # Web origins allowed to call the Rasa server from a browser (space-separated); the
  # socket.io channel refuses the others (rasa_plugins/channels/socketio.py).
  default_origins="http://localhost:$web_port http://127.0.0.1:$web_port"
  read -r -a cors_origins <<< "${CORS_ORIGINS:-${public_url:-$default_origins}}"
  export CORS_ORIGINS="${cors_origins[*]}"
  # Sanic reads SANIC_-prefixed variables into its config: requests over this size get 413.
  # scripts/rasa_run.py turns on Rasa's HTTP API only with RASA_API_TOKEN_FILE (or
  # RASA_API_TOKEN), never with the token on the command line.
  SANIC_REQUEST_MAX_SIZE=${REQUEST_MAX_BYTES:-1000000} exec "$bin/python" scripts/rasa_run.py \
    --model "$model" --port "$rasa_port" --interface "${RASA_HOST:-127.0.0.1}" \
    --endpoints endpoints.yml --credentials "$credentials" --cors "${cors_origins[@]}"
  ;;
web)
  # The page tells the widget where the socket is: behind nginx the page's own origin
  # (same-origin wss://), else the Rasa server itself.
  exec "$bin/python" web/server.py --host "${WEB_HOST:-127.0.0.1}" --port "$web_port" \
    --socket-url "${public_url:-http://localhost:$rasa_port}"
  ;;
*)
  echo "usage: scripts/start_service.sh actions|rasa|web" >&2
  exit 2
  ;;
esac
