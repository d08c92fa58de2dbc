# A PostgreSQL server of a test's own (Debian's postgresql): a data folder in
# a temporary directory, no TCP, its socket in that directory (mode 755, so
# that container appliances, which get it bound, and other users reach it).
# Sourced after lib.sh. start_postgres sets $pg (the folder), $pg_port and
# $pg_url (the database virtperf, made empty); stop_postgres stops it and
# removes the folder. Needs root (the server runs as postgres).
pg=
pg_pid=

pg_require() {
    [[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (the server runs as postgres)"; exit 77; }
    pg_bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
    [[ -n $pg_bin && -x $pg_bin/initdb ]] && command -v psql >/dev/null ||
        { echo "SKIP: postgresql not installed"; exit 77; }
}

start_postgres() {
    pg=$(mktemp -d /tmp/vp-pg.XXXXXX)
    chmod 755 "$pg"
    chown postgres "$pg"
    pg_port=$((20000 + $$ % 20000))
    runuser -u postgres -- "$pg_bin/initdb" -D "$pg/data" -A trust -U vp --no-sync >"$pg/initdb.log" ||
        fail "initdb: $(tail -3 "$pg/initdb.log")"
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg/data" -l "$pg/log" -w -o \
        "-k $pg -p $pg_port -c listen_addresses='' -c fsync=off -c max_connections=60" start >/dev/null ||
        fail "postgres did not start: $(tail -3 "$pg/log")"
    pg_pid=$(head -1 "$pg/data/postmaster.pid")
    psql_ -d postgres -c 'CREATE DATABASE virtperf' >/dev/null
    pg_url="postgresql://vp@/virtperf?host=$pg&port=$pg_port"
}

stop_postgres() {
    if [[ -n $pg_pid ]]; then
        kill -INT "$pg_pid" 2>/dev/null # fast shutdown
        for _ in $(seq 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
    fi
    [[ -n $pg ]] && rm -rf "$pg"
    return 0
}

# psql_ ARGS...: psql on the test's server, unaligned, tuples only.
psql_() { psql -X -q -A -t -h "$pg" -p "$pg_port" -U vp "$@"; }
