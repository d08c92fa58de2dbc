# Shared by the RTP tests: start a media server on a free loopback port and
# stop it by pid. Sourced after lib.sh.

# start_media_server [OPTIONS...]: sets $ms_pid and $ms_port; the server's
# stdout and stderr go to $work/ms.out and $work/ms.err.
start_media_server() {
    "$VP" media-server --listen 127.0.0.1:0 "$@" >"$work/ms.out" 2>"$work/ms.err" &
    ms_pid=$!
    ms_port=
    for _ in $(seq 1 100); do
        ms_port=$(sed -n 's/^media-server: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/ms.err" 2>/dev/null || true)
        [[ -n $ms_port ]] && return 0
        kill -0 "$ms_pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$work/ms.err" >&2
    fail "media-server did not start"
}

# stop_media_server: SIGTERM, then wait; its counters are in $work/ms.out.
stop_media_server() {
    [[ -n ${ms_pid:-} ]] || return 0
    kill -TERM "$ms_pid" 2>/dev/null || true
    wait "$ms_pid" 2>/dev/null || true
    ms_pid=
}
