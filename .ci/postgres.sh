#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL 15 cluster:
#
#   .ci/postgres.sh CMD [ARG...]
#
# initdb a cluster in a temp dir (as the `postgres` OS user when we are root: initdb
# refuses root), start it on a free 127.0.0.1 port with trust auth, run CMD with
# DATABASE_URL=postgresql://postgres@127.0.0.1:PORT/postgres, then stop the cluster
# and delete its directory whatever happens (trap EXIT). Exit status is CMD's.
# PG_EXTRA_OPTS adds server settings ("-c name=value ..."), e.g. for a benchmark.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

(($# > 0)) || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || { log "no PostgreSQL binaries in $PG_BIN"; exit 1; }

if [[ $EUID -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
        log "creating system user postgres"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin postgres
    fi
    # runuser runs the binary directly (no login shell), so a nologin shell is fine.
    as_pg() { (cd "$PG_DIR" && runuser -u postgres -- "$@"); }
else
    as_pg() { (cd "$PG_DIR" && "$@"); }
fi

# Under /tmp (not $TMPDIR): the postgres user has to be able to reach it.
PG_DIR=$(mktemp -d /tmp/dms-ci-pg.XXXXXX)
chmod 700 "$PG_DIR"
if [[ $EUID -eq 0 ]]; then
    chown postgres: "$PG_DIR"
fi
PG_STARTED=0

cleanup() {
    local status=$?
    if ((PG_STARTED)); then
        log "stopping PostgreSQL"
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "initdb in $PG_DIR/data"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; exit 1; }

# Another process can grab the port between free_port and the bind: retry a few times.
for attempt in 1 2 3; do
    PG_PORT=$(free_port)
    # Test-only settings: no durability (fsync off) for speed; socket in the temp dir.
    # (One line: pg_ctl pastes -o into a shell command line.)
    opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=200"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    opts+=" ${PG_EXTRA_OPTS:-}"  # more server settings, e.g. "-c shared_buffers=1GB" (bench)
    if as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o "$opts" start >/dev/null; then
        PG_STARTED=1
        break
    fi
    log "PostgreSQL did not start on port $PG_PORT (attempt $attempt):"
    tail -n 20 "$PG_DIR/server.log" >&2 || true
done
((PG_STARTED)) || exit 1

export DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') up: $DATABASE_URL"

# Not exec: the EXIT trap has to run after CMD to stop the cluster.
set +e
"$@"
status=$?
set -e
if ((status != 0)); then
    log "command failed (exit $status); last lines of the PostgreSQL log:"
    tail -n 30 "$PG_DIR/server.log" >&2 || true
fi
exit "$status"
