#!/usr/bin/env bash
# An experiment with a udp-sink appliance (native) under the udp load, both
# directions at once, next to a workload: the plan names the commands; the
# --json document has the load's figures per direction and the sink's own
# counters, which agree with them; the store's rows behind them (point_loads
# of kind udp, udp_runs, its directions and intervals); the figure draws
# its delay box; a load option the runner sets is refused in the file; and
# nothing is left running. Structure and bookkeeping are checked exactly,
# performance not at all (generator_limited may be either).
. "$(dirname "$0")/lib.sh"

data=$(cd "$(dirname "$0")/../data/experiments" && pwd)
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"
jqe() { jq -e "$1" "$work/out" >/dev/null || fail "$2: $(jq -c "${3:-.rounds[0].loads}" "$work/out")"; }

# the plan
expect_exit 0 "$VP" run "$data/load-udp.yaml" --dry-run
grep -q "runs virtperf udp-sink --listen ADDRESS:0 --json --sockets 1\$" "$work/out" ||
    fail "dry-run: server command: $(cat "$work/out")"
grep -q "load udp *-> sink, .*: virtperf udp-gen --target sink:PORT --json --size 1472 --rate 2000 --duration 1s --interval 250ms --direction both\$" \
    "$work/out" || fail "dry-run: generator command: $(grep 'load ' "$work/out")"

# the runner's options are not the file's
printf '%s\n' 'appliances:' '  - {name: sink, role: udp-sink}' 'loads:' \
    '  - {driver: udp, target: sink, token: 5}' >"$work/reserved.yaml"
expect_exit 2 "$VP" run "$work/reserved.yaml"
expect_one_line_error ':4:33: "token" is set by the runner, not the file'
printf '%s\n' 'appliances:' '  - {name: sink, role: udp-sink, listen: "127.0.0.1:9"}' >"$work/listen.yaml"
expect_exit 2 "$VP" run "$work/listen.yaml"
expect_one_line_error '"listen" is set by the runner, not the file'
[[ ! -e $VIRTPERF_STORE ]] || fail "an invalid experiment created the store"

# the run
"$VP" run "$data/load-udp.yaml" --json >"$work/out" 2>"$work/err" &
pid=$!
wait "$pid" || { cat "$work/err" >&2; fail "run exited $?"; }
jqe '.end.status == "complete" and [.rounds[].status] == ["complete"]' "experiment" \
    '[.end.status, .rounds[].status]'
jqe '.rounds[0].loads | length == 1 and (.[0] | .load == "udp" and .target == "sink"
        and .driver == "udp" and .kind == "udp" and .status == "complete" and .run_id > 0
        and .direction == "both" and .size == 1472 and .rate == 2000
        and .up.sent > 0 and .down.sent > 0 and .sent == .up.sent + .down.sent
        and .lost == .up.lost + .down.lost and (.loss_pct | type) == "number"
        and .clocks_shared and .delay_samples == .received
        and .delay_ms.min <= .delay_ms.median and .delay_ms.median <= .delay_ms.max)' "loads"
# the sink's own counts: what it received of the up flow, what it sent down
jqe '.rounds[0] | .services[0] as $s | .loads[0] as $l | $s.role == "udp-sink"
        and ($s.address | test("^127\\.0\\.0\\.1:[0-9]+$")) and $s.counters.end.received == $l.up.received
        and $s.counters.end.sent == $l.down.sent' "services" '.rounds[0].services'
run=$(jq '.rounds[0].loads[0].run_id' "$work/out")
[[ $(sql "SELECT count(*) FROM point_loads l JOIN udp_runs u ON u.id = l.run_id
          WHERE l.kind = 'udp' AND l.driver = 'udp' AND u.direction = 'both'") -eq 1 ]] ||
    fail "point_loads vs udp_runs: $(sql 'SELECT * FROM point_loads; SELECT id, direction FROM udp_runs')"
[[ $(sql "SELECT group_concat(direction || ':' || n, ' ') FROM (SELECT direction, count(*) n
          FROM udp_intervals WHERE run_id = $run GROUP BY direction ORDER BY direction)") == "down:4 up:4" ]] ||
    fail "udp_intervals: $(sql "SELECT * FROM udp_intervals")"
[[ $(sql "SELECT count(*) FROM udp_directions d WHERE run_id = $run AND d.sent =
          (SELECT sum(sent) FROM udp_intervals i WHERE i.run_id = d.run_id AND i.direction = d.direction)") -eq 2 ]] ||
    fail "udp_directions vs intervals: $(sql "SELECT * FROM udp_directions")"
# the same from the store alone, and drawn
exp_id=$(jq '.start.experiment_id' "$work/out")
"$VP" results experiment "$exp_id" --json >"$work/again" || fail "results experiment: exit $?"
[[ $(jq -c '.rounds[0].loads' "$work/again") == "$(jq -c '.rounds[0].loads' "$work/out")" ]] ||
    fail "results experiment: not what run printed"
expect_exit 0 "$VP" results experiment "$exp_id"
grep -q "udp sink: both, 1472 B at 2000/s: loss " "$work/out" || fail "results text: $(cat "$work/out")"
expect_exit 0 "$VP" report "$exp_id" -o "$work/udp.html"
[[ $(report_data "$work/udp.html" | jq '[.sections[0].figures[] | select(.kind == "box") | .box | length]') == "[
  1
]" ]] || fail "report: no delay box"
# nothing left: no process naming our store, no journal
procs=$(pgrep -af -- "$VIRTPERF_STORE" || true)
[[ -z $procs ]] || fail "left processes: $procs"
[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
echo ok
