#!/usr/bin/env bash
# Starts the action server, the Rasa server and the chat widget page for `make run`; Ctrl-C stops them.
# CREDENTIALS (default credentials.yml) names the channels file; `make run-sms` sets it.
set -euo pipefail
model=$1 rasa_port=$2 actions_port=$3
bin=.venv/bin

"$bin/rasa" run actions --actions actions --port "$actions_port" &
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
"$bin/rasa" run --model "$model" --port "$rasa_port" --endpoints endpoints.yml \
  --credentials "${CREDENTIALS:-credentials.yml}" --cors "http://localhost:$web_port" "http://127.0.0.1:$web_port"
