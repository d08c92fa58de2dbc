#!/usr/bin/env bash
# Death of the runner (issue 18, item 3): an experiment killed with SIGKILL
# mid-round, on the native and the container platform, takes every process
# of it along within two seconds (workloads, their appliances' inits and
# helpers, anything in the run's cgroups), its experiment, point, profile
# and run rows read incomplete, and `virtperf cleanup` leaves nothing of it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lifecycle_lib.sh"
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (cgroups, namespaces)"; exit 77; }

export VIRTPERF_RUNDIR=$work/rundir
mkdir -m 700 "$VIRTPERF_RUNDIR"

kill_mid_round() { # PLATFORM NET
    local platform=$1 net=$2 pid id before procs left exp
    cat >"$work/$platform.yaml" <<EOF
name: killed-$platform
platform: $platform
rounds: 100000
warmup: 0
overcommit: true
profile-interval: 200ms
appliances:
  - {name: pi, workload: cpu-pi, count: 2, digits: 16k, net: $net}
EOF
    before=$(sql "SELECT count(*) FROM rounds" 2>/dev/null || echo 0)
    "$VP" run "$work/$platform.yaml" >/dev/null 2>"$work/run.err" &
    pid=$!
    for _ in $(seq 1 300); do
        [[ $(sql "SELECT count(*) FROM rounds" 2>/dev/null || echo 0) -ge $((before + 3)) ]] && break
        sleep 0.1
    done
    id=$(run_ids)
    [[ -n $id ]] || fail "$platform: no journal of the run: $(cat "$work/run.err")"
    # every process of it: below the runner, and in its cgroups
    procs=$(
        descendants "$pid"
        run_tasks "$id"
    )
    [[ $(wc -w <<<"$procs") -ge 4 ]] || fail "$platform: processes of the run: $procs"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    # shellcheck disable=SC2086
    left=$(wait_gone 2 $procs) || fail "$platform: still running 2 s after the kill: $left"
    left=$(run_tasks "$id")
    [[ -z $left ]] || fail "$platform: tasks left in the run's cgroups: $left"

    expect_exit 0 "$VP" results list --json # the store, opened: rows of the dead marked
    exp=$(sql "SELECT id FROM experiments WHERE name = 'killed-$platform'")
    [[ $(sql "SELECT status FROM experiments WHERE id = $exp") == incomplete ]] ||
        fail "$platform: experiment $(sql "SELECT status FROM experiments WHERE id = $exp")"
    [[ $(sql "SELECT group_concat(status) FROM experiment_points WHERE experiment_id = $exp") == incomplete ]] ||
        fail "$platform: points $(sql "SELECT group_concat(status) FROM experiment_points WHERE experiment_id = $exp")"
    [[ $(sql "SELECT count(*) FROM profiles p JOIN experiment_points e ON e.profile_id = p.id
              WHERE e.experiment_id = $exp AND p.status = 'incomplete'") -eq 1 ]] ||
        fail "$platform: profiles $(sql "SELECT id, status FROM profiles")"
    [[ $(sql "SELECT count(*) FROM runs WHERE status = 'running'") -eq 0 ]] ||
        fail "$platform: runs $(sql "SELECT id, status FROM runs")"

    expect_exit 0 "$VP" cleanup
    left=$(run_leftovers "$id")
    [[ -z $left ]] || fail "$platform: left after cleanup: $left"
}

kill_mid_round native none
kill_mid_round container bridge
[[ -z $(ls -A "$VIRTPERF_RUNDIR" 2>/dev/null) ]] || fail "journal folder: $(ls -A "$VIRTPERF_RUNDIR")"
echo ok
