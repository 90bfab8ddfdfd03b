#!/bin/sh
# The whole suite on SQLite, then again on PostgreSQL when one answers.
# Usage: scripts/test.sh JOBS PG_URL
set -u
JOBS=${1:-2}
PG_URL=${OPSDESK_TEST_DATABASE_URL:-${2:-postgres://postgres@127.0.0.1:5432/test}}
BIN=.venv/bin

run_pytest() {
    # pytest exits 5 when a selection holds no tests; that is not a failure here.
    $BIN/pytest -n "$JOBS" -p no:cacheprovider "$@"
    rc=$?
    [ "$rc" -eq 5 ] && { echo "(no tests selected)"; rc=0; }
    return $rc
}

echo "=== opsdesk test suite on SQLite ==="
run_pytest || exit 1

if [ -n "${OPSDESK_TEST_DATABASE_URL:-}" ] || \
   $BIN/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then
    echo "=== opsdesk test suite on PostgreSQL ($PG_URL) ==="
    OPSDESK_DATABASE_URL="$PG_URL" run_pytest || exit 1
elif [ "${CI:-}" = "true" ]; then
    echo "=== FAILED: CI=true but nothing answers on 127.0.0.1:5432; the PostgreSQL run cannot"
    echo "=== happen. Start PostgreSQL or set OPSDESK_TEST_DATABASE_URL. ==="
    exit 1
else
    echo "=== SKIPPED: the PostgreSQL run. OPSDESK_TEST_DATABASE_URL is not set and nothing"
    echo "=== answers on 127.0.0.1:5432, so only SQLite was tested. ==="
fi
