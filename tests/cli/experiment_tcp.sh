#!/usr/bin/env bash
# An experiment with a tcp-sink appliance under a tcp load (native, both
# directions, next to a workload): the --json document's load figures and
# the sink's counters agree byte for byte, the store holds the run
# (point_loads of kind tcp → tcp_runs) and `results experiment` prints it
# again; a tcp load aimed at another role is refused before anything runs;
# nothing is left behind.
. "$(dirname "$0")/lib.sh"

data=$(cd "$(dirname "$0")/../data/experiments" && pwd)
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"

jqe() {
    jq -e "$1" "$work/out" >/dev/null || fail "$2: $(jq -c "${3:-.}" "$work/out")"
}

# the plan names the generator's command
expect_exit 0 "$VP" run "$data/load-tcp.yaml" --dry-run
grep -q "runs virtperf tcp-sink --listen ADDRESS:0 --json\$" "$work/out" || fail "dry-run: sink"
grep -q "load tcp *-> sink, .*: virtperf tcp-gen --target sink:PORT --json --streams 2 --direction both --duration 1s --interval 250ms\$" \
    "$work/out" || fail "dry-run: generator: $(grep 'load ' "$work/out")"

# a tcp load against a sip-server: an input error naming both roles
printf '%s\n' 'appliances:' '  - {name: sip, role: sip-server}' 'loads:' \
    '  - {driver: tcp, target: sip, duration: 1s}' >"$work/role.yaml"
expect_exit 2 "$VP" run "$work/role.yaml"
expect_one_line_error "tcp drives a tcp-sink, and appliance sip is a sip-server"

"$VP" run "$data/load-tcp.yaml" --json >"$work/out" 2>"$work/err" &
pid=$!
wait "$pid" || fail "run exited $?: $(cat "$work/err")"
jqe '.end.status == "complete" and [.rounds[].status] == ["complete"]' "experiment" \
    '[.end.status, .rounds[].status]'
jqe '.rounds[0].loads | length == 1 and (.[0] | .driver == "tcp" and .kind == "tcp" and .target == "sink"
        and .status == "complete" and .streams == 2 and .direction == "both" and .run_id > 0
        and .up.bytes > 0 and .down.bytes > 0 and .up.mbps > 0 and .down.mbps > 0
        and (.generator_limited | type) == "boolean")' "loads" '.rounds[0].loads'
jqe '.rounds[0].services | length == 1 and (.[0] | .role == "tcp-sink"
        and (.address | test("^127\\.0\\.0\\.1:[0-9]+$")) and .counters.end.served == 1
        and .counters.end.failed == 0)' "services" '.rounds[0].services'
# the sink counted what the generator says arrived, both ways
jqe '.rounds[0] | .loads[0].up.bytes == .services[0].counters.end.rx_bytes
        and .loads[0].down.bytes == .services[0].counters.end.tx_bytes' "sink vs load" \
    '.rounds[0] | [.loads[0].up.bytes, .loads[0].down.bytes, .services[0].counters]'
run=$(jq '.rounds[0].loads[0].run_id' "$work/out")
[[ $(sql "SELECT l.kind || '|' || r.direction || '|' || r.streams || '|' || r.status
          FROM point_loads l JOIN tcp_runs r ON r.id = l.run_id") == "tcp|both|2|complete" ]] ||
    fail "store: $(sql 'SELECT * FROM point_loads; SELECT id, direction, status FROM tcp_runs')"
[[ $(sql "SELECT sum(bytes) FROM tcp_streams WHERE run_id = $run AND direction = 'up'") -eq \
   $(jq '.rounds[0].loads[0].up.bytes' "$work/out") ]] || fail "store: tcp_streams up bytes"
exp=$(jq '.start.experiment_id' "$work/out")
expect_exit 0 "$VP" results experiment "$exp"
grep -q "^ *tcp sink: 2 streams both, up [0-9.]* Mbit/s (retrans [0-9]*), down [0-9.]* Mbit/s" \
    "$work/out" || fail "results experiment: $(cat "$work/out")"
# nothing left: no process naming our store, no journal
procs=$(pgrep -af -- "$VIRTPERF_STORE" || true)
[[ -z $procs ]] || fail "processes left: $procs"
[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
echo ok
