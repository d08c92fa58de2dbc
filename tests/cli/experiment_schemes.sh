#!/usr/bin/env bash
# Core allocation schemes reach the appliances: with `exclusive` each of two
# one-vCPU appliances runs on its own core, with `shared-one` both on the
# first, with `float` on every core (read from /proc/PID/status while they
# run; then SIGINT ends the experiment).
. "$(dirname "$0")/lib.sh"

export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"
cpus=$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)
[[ $(nproc) -ge 2 ]] || { echo "SKIP: needs two cores"; exit 77; }

placement() { # scheme → the cpulists of the two workload processes, sorted
    printf 'scheme: %s\nrounds: 100000\nwarmup: 0\nappliances:\n  - {name: pi, workload: cpu-pi, digits: 64k, count: 2}\n' \
        "$1" >"$work/$1.yaml"
    # rounds of the schemes before count for nothing: the store is shared
    local before
    before=$(sql "SELECT count(*) FROM rounds" 2>/dev/null || echo 0)
    "$VP" run "$work/$1.yaml" >/dev/null 2>"$work/$1.err" &
    local pid=$! kids=""
    for _ in $(seq 1 300); do
        kids=$(pgrep -P "$pid" -d ' ' || true)
        # both started and past the start barrier: a round of this run is stored
        [[ $(wc -w <<<"$kids") -eq 2 &&
            $(sql "SELECT count(*) FROM rounds" 2>/dev/null || echo 0) -gt $before ]] && break
        sleep 0.05
    done
    local lists=""
    for k in $kids; do
        lists+="$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$k/status") "
    done
    kill -INT "$pid"
    local status=0
    wait "$pid" || status=$?
    [[ $status -eq 1 ]] || fail "$1: interrupted experiment exited $status"
    tr ' ' '\n' <<<"$lists" | grep . | sort | tr '\n' ' '
}

got=$(placement exclusive)
[[ $got == "0 1 " ]] || fail "exclusive: placement '$got', expected '0 1 '"
got=$(placement shared-one)
[[ $got == "0 0 " ]] || fail "shared-one: placement '$got', expected '0 0 '"
got=$(placement float)
[[ $got == "$cpus $cpus " ]] || fail "float: placement '$got', expected '$cpus $cpus '"
[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
echo ok
