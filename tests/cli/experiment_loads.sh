#!/usr/bin/env bash
# Experiments that drive servers: a sip-server in a container under a
# sip-capacity search (alone, then with a CPU-bound neighbour a case adds),
# a native media-server under rtp streams next to a workload. Checked: the
# --json document (loads' figures, services' address and counters), the
# store rows behind it, the dry-run plan with the generators' commands, input
# errors (exit 2, file:line:col, nothing created), a server on a container
# without net (exit 2 before anything is made), a server that dies at start
# (exit 1 naming it and its own message), and that no run leaves cgroups,
# links or processes behind. Performance figures are checked loosely (the
# machine is small and shared), structure and bookkeeping exactly.
. "$(dirname "$0")/lib.sh"

data=$(cd "$(dirname "$0")/../data/experiments" && pwd)
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"

# Nothing of run $1 (the runner's pid tags its cgroups and links) is left:
# no cgroup, no host link, no process naming our store, no journal.
nothing_left() {
    local run=$1 cg links procs
    cg=$(find /sys/fs/cgroup -mindepth 3 -maxdepth 3 -path "*/virtperf/$run" 2>/dev/null || true)
    [[ -z $cg ]] || fail "run $run left cgroups: $cg"
    links=$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
        grep -E "^vp(br|d|m)?$run([br][0-9]+)?\$" || true)
    [[ -z $links ]] || fail "run $run left links: $links"
    procs=$(pgrep -af -- "$VIRTPERF_STORE" || true)
    [[ -z $procs ]] || fail "run $run left processes: $procs"
    [[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
}

# run_exp STATUS ARGS...: `virtperf run ARGS` in the background (its pid is
# the run's tag), expecting STATUS; output in $work/out and $work/err, then
# nothing_left.
run_exp() {
    local want=$1 got=0 pid
    shift
    "$VP" run "$@" >"$work/out" 2>"$work/err" &
    pid=$!
    wait "$pid" || got=$?
    if [[ $got -ne $want ]]; then
        echo "--- stdout" >&2; cat "$work/out" >&2
        echo "--- stderr" >&2; cat "$work/err" >&2
        fail "'run $*' exited $got, expected $want"
    fi
    nothing_left "$pid"
}

# jq -e on the last output, failing with the document when false.
jqe() {
    jq -e "$1" "$work/out" >/dev/null || fail "$2: $(jq -c "${3:-.}" "$work/out")"
}

t0=$SECONDS

# --- the plan: generator lines and their commands ---------------------------
expect_exit 0 "$VP" run "$data/load-sip.yaml" --dry-run
cmd="virtperf sip-capacity --target sip:PORT --json --step 1s --start 50 --max 100 --precision 0.5"
cmd+=" --repeats 1 --settle 200ms --drain 1s --p95-ms 500 --fail-pct 10 --retrans-pct 20"
[[ $(grep -c "^  load calls  *-> sip, generator cpus=float weight=8192: $cmd\$" "$work/out") -eq 2 ]] ||
    fail "dry-run generator lines: $(grep 'load ' "$work/out")"
[[ $(grep -c "^point " "$work/out") -eq 2 ]] || fail "dry-run: expected 2 points"
grep -q "^point 2/2: case=with cpu neighbour" "$work/out" || fail "dry-run: case label"
[[ $(grep -c "creates pi-1 " "$work/out") -eq 1 ]] || fail "dry-run: pi-1 only in point 2"
grep -q "runs virtperf sip-uas --listen ADDRESS:0 --json --work-us 50\$" "$work/out" ||
    fail "dry-run: server command"
grep -q "runs virtperf workload run cpu-pi --preset small --rounds 100000 --warmup 0 --json --until-stopped\$" \
    "$work/out" || fail "dry-run: the neighbour runs until stopped"
expect_exit 0 "$VP" run "$data/load-sip.yaml" --dry-run --json
jqe '.rounds | length == 2' "dry-run json points"
jq -e --arg c "$cmd" '[.rounds[].loads] == [range(2) | [{load: "calls", driver: "sip-capacity",
        target: "sip", cpus: "", host: null, command: $c}]]' "$work/out" >/dev/null ||
    fail "dry-run json loads: $(jq -c '[.rounds[].loads]' "$work/out")"
jqe '[.rounds[].appliances | map(.name + ":" + .role)] == [["sip:sip-server"],
        ["sip:sip-server", "pi-1:workload"]]' "dry-run json appliances" '[.rounds[].appliances]'
[[ ! -e $VIRTPERF_STORE ]] || fail "a dry run created the store"

# --- input errors: exit 2, one line, file:line:col, nothing created ---------
check_bad() { # file expected-message
    expect_exit 2 "$VP" run "$data/$1"
    expect_one_line_error "^virtperf: $data/$1:$2\$"
}
check_bad bad-load-driver.yaml '4:5: load: driver "sipp": unknown (drivers: sip-uac, sip-capacity, rtp, udp, tcp, router)'
check_bad bad-load-target.yaml '4:5: load sip-uac: target "proxy" is not an appliance of this file'
check_bad bad-load-role.yaml \
    '4:5: load rtp: rtp drives a media-server, and appliance sip is a sip-server'
check_bad bad-server-reserved.yaml '5:5: "listen" is set by the runner, not the file'
check_bad bad-load-reserved.yaml '6:5: "server" is set by the runner, not the file'
check_bad bad-server-opt.yaml \
    '5:5: unknown key "work-ms" (neither an appliance field nor an option of sip-uas)'
check_bad bad-case-key.yaml '5:19: key "sip.work-ms": no appliance or load "sip" with that key'
check_bad bad-server-workload.yaml '2:5: appliance "sip": a sip-server runs no workload'

# a server the host cannot reach: refused before anything is created
printf '%s\n' 'platform: container' 'appliances:' '  - {name: sip, role: sip-server}' \
    '  - {name: pi, workload: cpu-pi, preset: small}' 'loads:' \
    '  - {driver: sip-uac, target: sip, duration: 1s}' >"$work/nonet.yaml"
run_exp 2 "$work/nonet.yaml"
expect_one_line_error "^virtperf: point 1, appliance sip: its sip-server on platform container is out of the loads' reach: give it net: bridge, routed or direct\$"
[[ ! -e $VIRTPERF_STORE ]] || fail "an invalid experiment created the store"

# --- a server that dies at start: exit 1 naming it and its own message ------
printf '%s\n' 'platform: container' 'rounds: 1' 'warmup: 0' 'appliances:' \
    '  - {name: sip, role: sip-server, net: bridge, disk-log: /nonexistent-dir/x.log}' \
    '  - {name: pi, workload: cpu-pi, preset: small}' 'loads:' \
    '  - {driver: sip-uac, target: sip, duration: 1s}' >"$work/dies.yaml"
run_exp 1 "$work/dies.yaml"
why="appliance sip: its sip-server ended before listening: sip-uas: --disk-log /nonexistent-dir/x.log: No such file or directory"
grep -qxF "virtperf: $why" "$work/err" || fail "dies: stderr: $(cat "$work/err")"
[[ $(sql "SELECT status || '|' || error FROM experiments") == "failed|$why" ]] ||
    fail "dies: experiment: $(sql 'SELECT status, error FROM experiments')"
[[ $(sql "SELECT point || '|' || status || '|' || error FROM experiment_points") == "0|failed|$why" ]] ||
    fail "dies: point: $(sql 'SELECT * FROM experiment_points')"
[[ $(sql "SELECT count(*) FROM runs") -eq 0 ]] || fail "dies: a workload ran: $(sql 'SELECT * FROM runs')"
rm -f "$VIRTPERF_STORE"

# --- a generator that fails (a value only the command itself checks) --------
printf '%s\n' 'rounds: 1' 'warmup: 0' 'profile-interval: 0' 'appliances:' \
    '  - {name: sip, role: sip-server}' '  - {name: pi, workload: cpu-pi, preset: small}' \
    'loads:' '  - {driver: sip-uac, target: sip, duration: 1s, ramp: bogus}' >"$work/genfail.yaml"
run_exp 1 "$work/genfail.yaml"
why='load sip-uac against sip: its sip-uac failed: --ramp "bogus": expected START,STEP,INTERVAL,MAX'
grep -qxF "virtperf: $why" "$work/err" || fail "genfail: stderr: $(cat "$work/err")"
[[ $(sql "SELECT status || '|' || error FROM experiment_points") == "failed|$why" ]] ||
    fail "genfail: point: $(sql 'SELECT * FROM experiment_points')"
[[ $(sql "SELECT load || '|' || target || '|' || driver || '|' || kind || '|' || ifnull(run_id, 'null')
          FROM point_loads") == "sip-uac|sip|sip-uac|sip|null" ]] ||
    fail "genfail: point_loads: $(sql 'SELECT * FROM point_loads')"
# the rest of the point still ended in order: the server's counters, the
# workload's finished round
[[ $(sql "SELECT count(*) FROM point_services WHERE address LIKE '127.0.0.1:%'
            AND json_extract(counters, '$.end.invites') = 0") -eq 1 ]] ||
    fail "genfail: point_services: $(sql 'SELECT * FROM point_services')"
[[ $(sql "SELECT r.status FROM point_runs p JOIN runs r ON r.id = p.run_id") == complete ]] ||
    fail "genfail: the workload: $(sql 'SELECT id, status FROM runs')"
# its report: no load figure, the failed load among the warnings
expect_exit 0 "$VP" report "$(sql 'SELECT max(id) FROM experiments')" -o "$work/none.html"
report_data "$work/none.html" >"$work/none.json"
jq -e '[.sections[0].figures[] | select(.kind == "box" or (.title | test("calls/s")))] == []
        and any(.sections[0].figures[].table.rows[]; .[1] == "load sip-uac on sip: failed")' \
    "$work/none.json" >/dev/null || fail "genfail: report: $(jq -c '.sections[0].figures[].title' "$work/none.json")"
rm -f "$VIRTPERF_STORE"
echo "failures: $((SECONDS - t0)) s"

# --- SIP: capacity search on a container, alone and with a neighbour --------
t1=$SECONDS
run_exp 0 "$data/load-sip.yaml" --json
jqe '.end.status == "complete" and (.rounds | length) == 2' "sip: experiment"
jqe '[.rounds[] | .status] == ["complete", "complete"]' "sip: point status" '[.rounds[].status]'
jqe '[.rounds[] | .params.case] == ["alone", "with cpu neighbour"]' "sip: cases" '[.rounds[].params]'
jqe '[.rounds[] | .appliances | map(.name)] == [[], ["pi-1"]]' "sip: workload appliances" \
    '[.rounds[].appliances]'
jqe 'all(.rounds[]; (.loads | length) == 1 and (.loads[0] | .load == "calls" and .target == "sip"
        and .driver == "sip-capacity" and .kind == "sip"
        and (.status == "complete" or .status == "generator_limited")
        and .run_id > 0 and .searches == 1 and .max_rate_mean > 0))' \
    "sip: loads" '[.rounds[].loads]'
# sip-uas prints its document (counters in end); the runner stores it as is
jqe 'all(.rounds[]; (.services | length) == 1 and (.services[0] | .appliance == "sip"
        and .role == "sip-server" and (.address | test("^10\\.213\\.[0-9]+\\.[0-9]+:[0-9]+$"))
        and .counters.end.invites > 0))' "sip: services" '[.rounds[].services]'
wl_run=$(jq '.rounds[1].appliances[0].run_id' "$work/out")
# the same document again from the store alone
cp "$work/out" "$work/run.json"
exp_id=$(jq '.start.experiment_id' "$work/run.json")
"$VP" results experiment "$exp_id" --json >"$work/again" || fail "results experiment: exit $?"
[[ $(jq -c '[.rounds[] | [.status, .loads[0].max_rate_mean, .services[0].address]]' "$work/again") == \
   "$(jq -c '[.rounds[] | [.status, .loads[0].max_rate_mean, .services[0].address]]' "$work/run.json")" ]] ||
    fail "results experiment: not what run printed"
# the report: a capacity bar per point and each search step by step, no delay box
expect_exit 0 "$VP" report "$exp_id" -o "$work/sip.html"
report_data "$work/sip.html" >"$work/sip.json"
jq -e '[.sections[0].figures[] | select(.title | test("^highest clean calls/s")) | .x | length] == [2]
        and ([.sections[0].figures[] | select(.title | test("^capacity search step by step"))
              | .table.rows | length >= 1] == [true, true])
        and ([.sections[0].figures[] | select(.kind == "box")] == [])' "$work/sip.json" >/dev/null ||
    fail "sip: report: $(jq -c '[.sections[0].figures[] | [.kind, .title]]' "$work/sip.json")"
# and seed 000's view from outside: the server's and the generator's cores
# per step, from the point's profile (the server spends work-us on each call)
jq -e '[.sections[0].figures[] | select(.title | test("^the SIP appliance seen from the host"))
        | .table.rows | length >= 1 and any(.[]; (.[2] | tonumber) > 0 and (.[4] | tonumber) > 0)]
       == [true, true]' "$work/sip.json" >/dev/null ||
    fail "sip: report: the appliance per step: $(jq -c '[.sections[0].figures[]
          | select(.title | test("seen from the host")) | .table.rows]' "$work/sip.json")"
expect_exit 2 "$VP" results experiment 999999
expect_exit 2 "$VP" results experiment nope
expect_exit 0 "$VP" results show "$wl_run" --json
jqe '.end.status == "complete" and .start.subject == "cpu-pi"
        and ([.rounds[] | select(.warmup == false)] | length) >= 1' "sip: the neighbour's run" \
    '{end: .end.status, rounds: (.rounds | length)}'
# the store agrees
[[ $(sql "SELECT group_concat(point || ':' || status, ' ') FROM experiment_points") == "0:complete 1:complete" ]] ||
    fail "sip: points: $(sql 'SELECT * FROM experiment_points')"
[[ $(sql "SELECT group_concat(p.point || ':' || p.appliance || ':' || r.status, ' ') FROM point_runs p
          JOIN runs r ON r.id = p.run_id") == "1:pi-1:complete" ]] ||
    fail "sip: point_runs: $(sql 'SELECT * FROM point_runs')"
[[ $(sql "SELECT count(*) FROM rounds WHERE run_id = $wl_run AND warmup = 0") -ge 1 ]] ||
    fail "sip: the neighbour stored no measured round"
[[ $(sql "SELECT count(*) FROM point_loads") -eq 2 ]] || fail "sip: point_loads: $(sql 'SELECT * FROM point_loads')"
[[ $(sql "SELECT count(*) FROM point_loads l JOIN sip_runs s ON s.id = l.run_id
          WHERE l.load = 'calls' AND l.target = 'sip' AND l.driver = 'sip-capacity'
            AND l.kind = 'sip' AND s.kind = 'capacity'
            AND s.status IN ('complete', 'generator_limited')") -eq 2 ]] ||
    fail "sip: point_loads vs sip_runs: $(sql 'SELECT * FROM point_loads; SELECT id, kind, status FROM sip_runs')"
[[ $(sql "SELECT count(DISTINCT run_id) FROM point_loads") -eq 2 ]] || fail "sip: runs shared by points"
[[ $(sql "SELECT count(*) FROM point_services WHERE appliance = 'sip' AND role = 'sip-server'
            AND address LIKE '10.213.%:%' AND json_valid(counters)
            AND json_extract(counters, '$.end.invites') > 0") -eq 2 ]] ||
    fail "sip: point_services: $(sql 'SELECT * FROM point_services')"
rm -f "$VIRTPERF_STORE"
echo "sip: $((SECONDS - t1)) s"

# --- RTP: native media server next to a workload, two weights ---------------
t1=$SECONDS
run_exp 0 "$data/load-rtp.yaml" --json
jqe '.end.status == "complete" and [.rounds[].status] == ["complete", "complete"]' \
    "rtp: experiment" '[.end.status, .rounds[].status]'
jqe '[.rounds[] | .params["cpu.weight"]] == [256, 1024]' "rtp: params" '[.rounds[].params]'
jqe 'all(.rounds[]; (.appliances | map(.name)) == ["cpu"] and .appliances[0].run_id > 0)' \
    "rtp: workload appliances" '[.rounds[].appliances]'
jqe 'all(.rounds[]; (.loads | length) == 1 and (.loads[0] | .load == "rtp" and .target == "media"
        and .driver == "rtp" and .kind == "rtp" and .status == "complete" and .streams == 20
        and .sent > 0 and (.loss_pct | type) == "number" and .delay_samples > 0
        and (.delay_ms | [.min, .q1, .median, .q3, .max] | all(type == "number"))
        and .delay_ms.min <= .delay_ms.median and .delay_ms.median <= .delay_ms.max
        and .batches == 10 and (.batch_loss_pct | type) == "number"
        and .batch_delay_median_ms > 0 and .batch_delay_p99_ms >= .batch_delay_median_ms))' \
    "rtp: loads" '[.rounds[].loads]'
jqe 'all(.rounds[]; (.services | length) == 1 and (.services[0] | .appliance == "media"
        and .role == "media-server" and (.address | test("^127\\.0\\.0\\.1:[0-9]+$"))
        and .counters.end.received > 0))' "rtp: services" '[.rounds[].services]'
[[ $(sql "SELECT count(*) FROM point_loads l JOIN rtp_runs r ON r.id = l.run_id
          WHERE l.kind = 'rtp' AND l.driver = 'rtp' AND l.target = 'media' AND r.sent > 0") -eq 2 ]] ||
    fail "rtp: point_loads vs rtp_runs: $(sql 'SELECT * FROM point_loads; SELECT id, status, sent FROM rtp_runs')"
[[ $(sql "SELECT count(*) FROM point_services WHERE role = 'media-server' AND json_valid(counters)
            AND json_type(counters) = 'object'") -eq 2 ]] ||
    fail "rtp: point_services: $(sql 'SELECT * FROM point_services')"
[[ $(sql "SELECT count(*) FROM point_runs p JOIN runs r ON r.id = p.run_id
          WHERE p.appliance = 'cpu' AND r.status = 'complete'") -eq 2 ]] ||
    fail "rtp: point_runs: $(sql 'SELECT * FROM point_runs')"
# the figure: a delay box per point with its loss under it, no capacity panel
rtp_exp=$(jq '.start.experiment_id' "$work/out")
expect_exit 0 "$VP" report "$rtp_exp" -o "$work/rtp.html"
report_data "$work/rtp.html" >"$work/rtp.json"
jq -e '[.sections[0].figures[] | select(.kind == "box") | .box | length] == [2]
        and ([.sections[0].figures[] | select(.title | test("calls/s"))] == [])
        and (.sections[0].figures[] | select(.kind == "box") | .x[0] | startswith("1 cpu.weight:256"))
        and all(.sections[0].figures[] | select(.kind == "box") | .sub[]; test("^loss [0-9.e+-]+%$"))' \
    "$work/rtp.json" >/dev/null ||
    fail "rtp: report: $(jq -c '.sections[0].figures[] | select(.kind == "box")' "$work/rtp.json")"
echo "rtp: $((SECONDS - t1)) s"
echo "ok ($((SECONDS - t0)) s)"
