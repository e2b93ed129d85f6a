#!/usr/bin/env bash
# Starts the action server and the Rasa server for `make run`, and stops both on Ctrl-C.
set -euo pipefail
model=$1 rasa_port=$2 actions_port=$3
bin=.venv/bin

"$bin/rasa" run actions --actions actions --port "$actions_port" &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  DVT home-care triage assistant
  - REST:     curl -s localhost:$rasa_port/webhooks/rest/webhook -H 'Content-Type: application/json' \\
                -d '{"sender": "me", "message": "hi"}'
  - socketio: ws://localhost:$rasa_port/socket.io (see README for the chat widget)
  - terminal: make shell
  Conversations are stored in ${TRACKER_DB}. Ctrl-C stops both servers.

MSG
"$bin/rasa" run --model "$model" --port "$rasa_port" --endpoints endpoints.yml \
  --credentials credentials.yml --cors "http://localhost:8080"
