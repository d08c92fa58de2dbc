#!/usr/bin/env bash
# The runner profiles each experiment point: two native appliances running
# cpu-pi each show CPU in their own profile target while their rounds ran
# (CPU seconds sampled between the "release" and "end" marks against the
# rounds' elapsed time in the store), the host cores are sampled, the marks
# are there and the point names its profile; profile-interval 0 takes none;
# a bad profile-interval is a file:line:col input error.
. "$(dirname "$0")/lib.sh"

export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"

exp() { # interval digits rounds → $work/e.yaml
    printf 'rounds: %s\nwarmup: 0\nprofile-interval: %s\nappliances:\n  - {name: pi, workload: cpu-pi, digits: %s, count: 2}\n' \
        "$3" "$1" "$2" >"$work/e.yaml"
}

exp 100ms 512k 2
other_work_begin
expect_exit 0 "$VP" run "$work/e.yaml"
other_work_end
prof=$(sql "SELECT profile_id FROM experiment_points WHERE point = 0")
[[ -n $prof ]] || fail "the point names no profile"
[[ $(sql "SELECT command || ' ' || status FROM profiles WHERE id = $prof") == "experiment 1 point 1 complete" ]] ||
    fail "profile $prof: $(sql "SELECT * FROM profiles")"
marks=$(sql "SELECT group_concat(label, ',') FROM (SELECT label FROM profile_marks WHERE profile_id = $prof ORDER BY t_s)")
[[ $marks == "point 1 start,point 1 release,point 1 end" ]] || fail "marks: '$marks'"
[[ $(sql "SELECT count(DISTINCT target) FROM profile_samples WHERE profile_id = $prof AND target LIKE 'host/cpu%'") -ge 1 ]] ||
    fail "no host core samples"
rel=$(sql "SELECT t_s FROM profile_marks WHERE profile_id = $prof AND label = 'point 1 release'")
end=$(sql "SELECT t_s FROM profile_marks WHERE profile_id = $prof AND label = 'point 1 end'")
for app in pi-1 pi-2; do
    # cores used while the rounds ran: CPU seconds sampled in the window over
    # the rounds' measured time (about 1 for a busy single-threaded workload).
    # A sample is the rate over the time since the one before: on a loaded
    # host the profiler may miss a tick, so each counts for its own interval.
    util=$(sql "SELECT (SELECT sum(value * dt) FROM (
                          SELECT value, t_s, t_s - lag(t_s) OVER (ORDER BY t_s) AS dt
                            FROM profile_samples
                           WHERE profile_id = $prof AND target = '$app' AND metric = 'cpu.total')
                         WHERE t_s > $rel AND t_s <= $end + 0.1)
                     / (SELECT sum(elapsed_s) FROM rounds r JOIN point_runs p USING (run_id)
                          WHERE p.experiment_id = 1 AND p.appliance = '$app' AND r.warmup = 0)")
    [[ -n $util ]] || fail "$app: no samples or rounds"
    echo "$app: $util cores while its rounds ran"
    # on a host busy with other work the appliances get less: not judged then
    if ! awk -v u="$util" 'BEGIN { exit !(u > 0.3) }'; then
        ((other_pct < 20)) || { skip_judgement "$app had $util cores, other work took $other_pct% of the host"; continue; }
        fail "$app: $util cores while its rounds ran, expected > 0.3"
    fi
done

exp 0 8k 1
expect_exit 0 "$VP" run "$work/e.yaml"
[[ -z $(sql "SELECT profile_id FROM experiment_points WHERE experiment_id = 2") ]] ||
    fail "profile-interval 0 still profiled"
[[ $(sql "SELECT count(*) FROM profiles") -eq 1 ]] || fail "profile-interval 0 made a profile"

exp 5ms 8k 1
expect_exit 2 "$VP" run "$work/e.yaml"
expect_one_line_error "e.yaml:3:19: profile-interval 5ms: below the profiler's 10ms"
exp soon 8k 1
expect_exit 2 "$VP" run "$work/e.yaml"
expect_one_line_error "e.yaml:3:19: profile-interval soon: not a duration"
[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
end_test
