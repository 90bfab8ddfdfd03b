#!/bin/sh
# make run: migrate, load demo data into an empty database, make sure an admin exists, serve.
# serve ends the start-up output with one "opsdesk is ready" line once the web server answers.
set -eu
BIN=${BIN:-.venv/bin}
# A calm console: the worker logs warnings, not every task it runs.
export OPSDESK_WORKER_LOG_TASKS=${OPSDESK_WORKER_LOG_TASKS:-false}
$BIN/opsdesk migrate --noinput -v 0
$BIN/opsdesk demo --if-empty
$BIN/opsdesk createadmin
echo "Starting opsdesk at http://127.0.0.1:${OPSDESK_PORT:-8000}; press Ctrl-C to stop."
exec $BIN/opsdesk serve
