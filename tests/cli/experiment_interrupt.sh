#!/usr/bin/env bash
# SIGINT in the middle of an experiment: exit 1, the experiment and its runs
# stored as interrupted, and no workload process of it left running.
. "$(dirname "$0")/lib.sh"

data=$(cd "$(dirname "$0")/../data/experiments" && pwd)
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"

"$VP" run "$data/long.yaml" >/dev/null 2>"$work/int.err" &
pid=$!
for _ in $(seq 1 300); do
    [[ $(sql "SELECT count(*) FROM rounds" 2>/dev/null || echo 0) -ge 3 ]] && break
    sleep 0.1
done
children=$(pgrep -P "$pid" -d ' ' || true)
[[ -n $children ]] || fail "no workload processes under the runner"
descendants=$children
for c in $children; do descendants+=" $(pgrep -P "$c" -d ' ' || true)"; done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[[ $status -eq 1 ]] || fail "interrupted experiment exited $status, expected 1"
for c in $descendants; do
    kill -0 "$c" 2>/dev/null && fail "process $c outlived the runner"
done
[[ $(sql "SELECT status FROM experiments") == interrupted ]] ||
    fail "experiment status $(sql 'SELECT status FROM experiments')"
[[ $(sql "SELECT count(*) FROM runs WHERE status = 'interrupted'") -eq 3 ]] ||
    fail "runs: $(sql 'SELECT id, status FROM runs')"
[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
grep -q "interrupted" "$work/int.err" || fail "stderr: $(cat "$work/int.err")"
echo ok
