# Shared by the timing CLI tests: a key, and a standalone time server on a
# free loopback port that is stopped (by pid) when the test exits.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"
ts_pid=
stop_timeserver() {
    if [[ -n $ts_pid ]]; then
        kill -TERM "$ts_pid" 2>/dev/null || true
        wait "$ts_pid" 2>/dev/null || true
        ts_pid=
    fi
}
trap 'stop_timeserver; rm -rf "$work"' EXIT

# start_timeserver [options...]: sets $ts_addr; counters go to $work/ts.out.
start_timeserver() {
    rm -f "$work/ts.err" # an old one would give an old address
    "$VP" timeserver --listen 127.0.0.1:0 --key-file "$work/key" "$@" \
        >"$work/ts.out" 2>"$work/ts.err" &
    ts_pid=$!
    for _ in $(seq 100); do
        # (|| true: the file is not there until the server's shell opens it)
        ts_addr=$(sed -n 's/^timeserver: listening on //p' "$work/ts.err" 2>/dev/null || true)
        [[ -n $ts_addr ]] && return 0
        sleep 0.05
    done
    cat "$work/ts.err" >&2
    fail "time server did not start"
}

# counter NAME: a counter the stopped server printed.
counter() {
    awk -v n="$1" '$1 == n { print $2 }' "$work/ts.out"
}
