#!/usr/bin/env bash
# Starts the action server, the Rasa server and the chat widget page for `make run`; Ctrl-C stops them.
# CREDENTIALS (default credentials.yml) names the channels file; `make run-sms` sets it.
# Security settings (README, "Privacy and security"): ACTIONS_HOST (default 127.0.0.1),
# CORS_ORIGINS (default the widget page), REQUEST_MAX_BYTES (default 1000000),
# RASA_API_TOKEN_FILE or RASA_API_TOKEN (unset: Rasa's HTTP API stays off; never put on a
# command line), RASA_HOST (default 127.0.0.1), LOG_ID_SALT (default random per run).
set -euo pipefail
model=$1 rasa_port=$2 actions_port=$3
bin=.venv/bin
# One salt for both servers, so that a conversation has the same pseudonym in both logs.
export LOG_ID_SALT=${LOG_ID_SALT:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
# Rasa reports usage (and errors, to Sentry) to Rasa Inc. unless told not to.
export RASA_TELEMETRY_ENABLED=${RASA_TELEMETRY_ENABLED:-false}

# rasa_sdk 3.6 has no --interface option; it binds to SANIC_HOST (its default is 0.0.0.0).
SANIC_HOST=${ACTIONS_HOST:-127.0.0.1} "$bin/rasa" run actions --actions actions --port "$actions_port" &
actions_pid=$!
# The clinic page with the chat widget (web/), on WEB_PORT (default 8080).
web_port=${WEB_PORT:-8080}
"$bin/python" web/server.py --port "$web_port" --socket-url "http://localhost:$rasa_port" &
web_pid=$!
trap 'kill $actions_pid $web_pid 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  DVT home-care triage assistant
  - REST:     curl -s localhost:$rasa_port/webhooks/rest/webhook -H 'Content-Type: application/json' \\
                -d '{"sender": "me", "message": "hi"}'
  - website:  http://localhost:$web_port/ (clinic page with the chat widget, socketio channel)
  - terminal: make shell
  Conversations are stored in ${TRACKER_DB}. Ctrl-C stops all the servers.

MSG
# Web origins allowed to call the Rasa server from a browser (space-separated).
read -r -a cors_origins <<< "${CORS_ORIGINS:-http://localhost:$web_port http://127.0.0.1:$web_port}"
# The socket.io channel refuses browser connections from other origins (see socketio.py).
export CORS_ORIGINS="${cors_origins[*]}"
# Rasa's HTTP API (tracker access, model replacement) only with a token: ?token=... on each
# call. scripts/rasa_run.py reads it from RASA_API_TOKEN_FILE or RASA_API_TOKEN, so that it
# is not on the command line, which `ps` shows to every user.
# Sanic reads SANIC_-prefixed variables into its config: requests over this size get 413.
# Loopback only unless RASA_HOST says otherwise (e.g. 0.0.0.0 behind a reverse proxy).
SANIC_REQUEST_MAX_SIZE=${REQUEST_MAX_BYTES:-1000000} \
"$bin/python" scripts/rasa_run.py --model "$model" --port "$rasa_port" --interface "${RASA_HOST:-127.0.0.1}" \
  --endpoints endpoints.yml --credentials "${CREDENTIALS:-credentials.yml}" --cors "${cors_origins[@]}"
