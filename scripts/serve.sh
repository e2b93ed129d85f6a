#!/usr/bin/env bash
# Starts the action server, the Rasa server and the chat widget page for `make run`, prints one
# "Ready:" line with the addresses once the Rasa server answers, and stops all three on Ctrl-C
# (SIGINT or SIGTERM to this script alone does the same), or when any one of them stops.
# Usage: scripts/serve.sh MODEL RASA_PORT ACTIONS_PORT; WEB_PORT (default 8080).
# CREDENTIALS (default credentials.yml) names the channels file; `make run-sms` sets it.
# Security settings (README, "Privacy and security"): ACTIONS_HOST (default 127.0.0.1),
# CORS_ORIGINS (default the widget page), REQUEST_MAX_BYTES (default 1000000),
# RASA_API_TOKEN_FILE or RASA_API_TOKEN (unset: Rasa's HTTP API stays off; never put on a
# command line), RASA_HOST (default 127.0.0.1), LOG_ID_SALT (default random per run).
set -euo pipefail
model=$1 rasa_port=$2 actions_port=$3
bin=.venv/bin
web_port=${WEB_PORT:-8080}
# One salt for both servers, so that a conversation has the same pseudonym in both logs.
export LOG_ID_SALT=${LOG_ID_SALT:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
# Rasa reports usage (and errors, to Sentry) to Rasa Inc. unless told not to.
export RASA_TELEMETRY_ENABLED=${RASA_TELEMETRY_ENABLED:-false}
# The Makefile exports these; a start without make gets the same (not Python warnings).
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3} SQLALCHEMY_SILENCE_UBER_WARNING=${SQLALCHEMY_SILENCE_UBER_WARNING:-1}

children=()
stop_all() {
  trap - INT TERM EXIT
  kill -TERM "${children[@]}" 2>/dev/null || true
  # Rasa closes its tracker store on the way out; give it time, then make sure.
  for _ in {1..40}; do
    kill -0 "${children[@]}" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL "${children[@]}" 2>/dev/null || true
}
# Background jobs of a script ignore the terminal's Ctrl-C, so this script stops them itself.
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# rasa_sdk 3.6 has no --interface option; it binds to SANIC_HOST (its default is 0.0.0.0).
# scripts/rasa_run.py runs Rasa without its flood of library warnings.
SANIC_HOST=${ACTIONS_HOST:-127.0.0.1} "$bin/python" scripts/rasa_run.py run actions --actions actions --port "$actions_port" &
children+=($!)
# The clinic page with the chat widget (web/).
"$bin/python" web/server.py --port "$web_port" --socket-url "http://localhost:$rasa_port" &
children+=($!)

# Web origins allowed to call the Rasa server from a browser (space-separated).
read -r -a cors_origins <<< "${CORS_ORIGINS:-http://localhost:$web_port http://127.0.0.1:$web_port}"
# The socket.io channel refuses browser connections from other origins (see socketio.py).
export CORS_ORIGINS="${cors_origins[*]}"
# Rasa's HTTP API (tracker access, model replacement) only with a token: ?token=... on each
# call. scripts/rasa_run.py reads it from RASA_API_TOKEN_FILE or RASA_API_TOKEN, so that it
# is not on the command line, which `ps` shows to every user.
# Sanic reads SANIC_-prefixed variables into its config: requests over this size get 413.
# Loopback only unless RASA_HOST says otherwise (e.g. 0.0.0.0 behind a reverse proxy).
rasa_host=${RASA_HOST:-127.0.0.1}
SANIC_REQUEST_MAX_SIZE=${REQUEST_MAX_BYTES:-1000000} \
"$bin/python" scripts/rasa_run.py --model "$model" --port "$rasa_port" --interface "$rasa_host" \
  --endpoints endpoints.yml --credentials "${CREDENTIALS:-credentials.yml}" --cors "${cors_origins[@]}" &
children+=($!)

# The "Ready:" line, once, when the REST channel answers. Rasa loads the model before it
# listens (and scripts/rasa_run.py stops it if the model does not load), so an answer means
# it can chat. Printed by a watcher in the background, after the servers' start-up lines.
case $rasa_host in 0.0.0.0 | "::") probe_host=127.0.0.1 ;; *) probe_host=$rasa_host ;; esac
shell_command="make shell"
[ "$rasa_port" = 5005 ] || shell_command+=" RASA_PORT=$rasa_port"
"$bin/python" - "http://$probe_host:$rasa_port/webhooks/rest/" \
  "Ready: web page http://localhost:$web_port/ | REST http://localhost:$rasa_port/webhooks/rest/webhook | terminal: $shell_command | Ctrl-C stops" <<'PY' &
import sys, time, urllib.request

url, ready = sys.argv[1:]
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                break
    except OSError:
        pass
    time.sleep(0.25)
print(ready, flush=True)
PY
children+=($!)

# Any server that stops (a port in use, a model that does not load) stops the others.
status=0
wait -n "${children[@]:0:3}" || status=$?
echo "serve.sh: a server stopped (exit status $status); stopping the others." >&2
exit $(( status == 0 ? 1 : status ))
