#!/bin/sh
# make run: migrate, load demo data into an empty database, make sure an admin exists, serve.
set -eu
BIN=${BIN:-.venv/bin}
$BIN/opsdesk migrate --noinput -v 0
$BIN/opsdesk demo --if-empty
CREDENTIALS=$($BIN/opsdesk createadmin)
echo
echo "opsdesk is starting at http://127.0.0.1:${OPSDESK_PORT:-8000}"
echo "$CREDENTIALS"
echo "Press Ctrl-C to stop."
echo
exec $BIN/opsdesk serve
