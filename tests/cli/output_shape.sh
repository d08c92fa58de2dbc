#!/usr/bin/env bash
# One output shape (issue 18, item 9). Every command's --json document has
# the same four sections, in order and typed alike: start (object), its rows
# (intervals or rounds: an array of objects), end (object), error (null; a
# string when it failed, then with exit 1 or 2 and the same line on stderr).
# Every command whose help lists --csv prints a CSV: a header line, at least
# one row, every line with the header's fields, the header the flattened
# keys of the JSON's first row (so the CSV holds the rows the JSON does).
# Short runs on loopback; the router's part needs root.
. "$(dirname "$0")/lib.sh"

pids=()
stop_all() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

declare -A json_seen csv_seen

# shape FILE ROWS ERROR: one document with the four sections; ERROR is null
# or string. (Slurped: jq -e on an empty file would pass.)
shape() {
    jq -s -e --arg rows "$2" --arg err "$3" 'length == 1 and (.[0] |
        keys_unsorted == ["start", $rows, "end", "error"]
        and (.start | type) == "object" and (.end | type) == "object"
        and (.[$rows] | type) == "array" and all(.[$rows][]; type == "object")
        and (.error | type) == $err)' "$1" >/dev/null ||
        fail "$1: not the document's shape ($2, error $3): $(head -c 600 "$1")"
}

# ok CMD ROWS ARGS...: `virtperf CMD ARGS --json` succeeds with the shape;
# the document is left in $work/CMD.json.
ok() {
    local cmd=$1 rows=$2
    shift 2
    expect_exit 0 "$VP" $cmd "$@" --json
    shape "$work/out" "$rows" null
    cp "$work/out" "$work/${cmd// /_}.json"
    json_seen[${cmd%% *}]=1
}

# bad STATUS CMD ROWS ARGS...: `virtperf CMD ARGS --json` fails with exit
# STATUS, one line on stderr, and the document carries the same message
# (--json last: after the argument at fault, which stops the parsing).
bad() {
    local status=$1 cmd=$2 rows=$3
    shift 3
    expect_exit "$status" "$VP" $cmd "$@" --json
    shape "$work/out" "$rows" string
    [[ $(wc -l <"$work/err") -eq 1 ]] || fail "$cmd: not one line on stderr: $(cat "$work/err")"
    [[ "virtperf: $(jq -r .error "$work/out")" == "$(cat "$work/err")" ]] ||
        fail "$cmd: the document's error is not stderr's: $(jq .error "$work/out") vs $(cat "$work/err")"
    json_seen[${cmd%% *}]=1
}

# csv_of CMD ROWS ARGS...: `virtperf CMD ARGS --csv`, against the rows of the
# JSON document ok left in $work/CMD.json.
csv_of() {
    local cmd=$1 rows=$2
    shift 2
    expect_exit 0 "$VP" $cmd "$@" --csv
    check_csv "$work/out" "$work/${cmd// /_}.json" "$rows"
    csv_seen[${cmd%% *}]=1
}

# check_csv CSV JSON ROWS: header, rows, fields; the header is the JSON's
# first row's keys flattened (nested keys joined with '.', array elements by
# index).
check_csv() {
    python3 - "$1" <<'EOF' || fail "$1: not a CSV with a header and rows: $(head -c 600 "$1")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert len(rows) >= 2, "no row"
assert all(len(r) == len(rows[0]) for r in rows), "lines with other field counts"
EOF
    local want
    want=$(jq -r --arg rows "$3" '.[$rows][0] | [paths(type != "object" and type != "array") | map(tostring) | join(".")] | join(",")' "$2")
    [[ $(head -1 "$1") == "$want" ]] || fail "$1: header $(head -1 "$1"), the JSON's row has $want"
}

# wait_line FILE PATTERN: until a background command says PATTERN on stderr.
wait_line() {
    for _ in $(seq 100); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "timed out waiting for '$2' in $1: $(cat "$1")"
}

# serve NAME ARGS...: a server in the background (--json), its document in
# $work/NAME.json at its end; sets $port from its "listening on" line.
serve() {
    local name=$1
    shift
    "$VP" "$name" "$@" --json >"$work/$name.json" 2>"$work/$name.err" &
    pids+=($!)
    wait_line "$work/$name.err" "listening on"
    port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/$name.err" | head -1)
    [[ -n $port ]] || fail "$name: no port in $(cat "$work/$name.err")"
}

# stop_server NAME ROWS: SIGTERM the last server; its document has the shape.
stop_server() {
    local p=${pids[-1]}
    kill -TERM "$p"
    wait "$p" || fail "$1 exited $?: $(cat "$work/$1.err")"
    unset 'pids[-1]'
    shape "$work/$1.json" "$2" null
    json_seen[$1]=1
}

# --- workloads, the store, experiments, the model ---------------------------
ok "workload list" rounds
bad 2 "workload list" rounds --bogus
ok "workload run" rounds cpu-pi --preset small --rounds 2 --warmup 1
csv_of "workload run" rounds cpu-pi --preset small --rounds 2 --warmup 1
bad 2 "workload run" rounds cpu-pi --digits 12Q
run=$(jq .start.run_id "$work/workload_run.json")
ok "results list" rounds
bad 2 "results list" rounds --limit -1
ok "results show" rounds "$run"
csv_of "results show" rounds "$run"
# from the store: the very rows of the JSON, as many
[[ $(($(wc -l <"$work/out") - 1)) -eq $(jq '.rounds | length' "$work/results_show.json") ]] ||
    fail "results show: CSV and JSON rows differ in number"
bad 2 "results show" rounds 99999
ok compare rounds "$run" "run:$run"
csv_of compare rounds "$run" "run:$run"
bad 2 compare rounds "$run" 99999

cat >"$work/exp.yaml" <<'EOF'
name: shape
platform: native
rounds: 1
warmup: 0
appliances:
  - {name: pi, workload: cpu-pi, preset: small}
matrix:
  count: [1, 2]
EOF
ok "run" rounds "$work/exp.yaml" --dry-run
ok "run" rounds "$work/exp.yaml"
bad 2 "run" rounds "$work/missing.yaml"
exp=$(jq .start.experiment_id "$work/run.json")
[[ $(jq '.rounds | length' "$work/run.json") -eq 2 ]] || fail "run: a round per point expected"
ok "results experiment" rounds "$exp"
bad 2 "results experiment" rounds 99999
ok "model" rounds "$exp"
bad 2 "model" rounds 99999
bad 2 "demo" rounds --rounds 0 # a whole demo takes minutes: its failure only

# --- external timing --------------------------------------------------------
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"
bad 2 "timeserver" rounds
serve timeserver --listen 127.0.0.1:0 --key-file "$work/key"
tok=$("$VP" mark token)
for k in start end; do
    ok "mark $k" rounds --run "$tok" --appliance a1 --round 0 --timeserver "127.0.0.1:$port" \
        --key-file "$work/key"
done
bad 2 "mark start" rounds --run nope --appliance a1 --timeserver "127.0.0.1:$port" \
    --key-file "$work/key"
stop_server timeserver rounds
ok "timing show" rounds "$tok"
csv_of "timing show" rounds "$tok"
bad 2 "timing show" rounds 99999
ok "timing calibrate" rounds --rounds 5 --length 1ms
bad 2 "timing calibrate" rounds --timeserver 127.0.0.1:1

# --- SIP --------------------------------------------------------------------
bad 2 "sip-uas" intervals --listen nowhere
serve sip-uas --listen 127.0.0.1:0
uas=$port
ok "sip-uac" intervals --target "127.0.0.1:$uas" --rate 20 --duration 1s --interval 500ms
csv_of "sip-uac" intervals --target "127.0.0.1:$uas" --rate 20 --duration 1s --interval 500ms
bad 2 "sip-uac" intervals --target nowhere
capacity=(--target "127.0.0.1:$uas" --step 200ms --start 20 --max 40 --precision 0.5 --repeats 1
    --settle 0 --drain 500ms --p95-ms 500)
ok "sip-capacity" rounds "${capacity[@]}"
csv_of "sip-capacity" rounds "${capacity[@]}"
bad 2 "sip-capacity" rounds --target 127.0.0.1:1 --start 50 --max 10
stop_server sip-uas intervals
[[ $(jq .end.invites "$work/sip-uas.json") -gt 0 ]] || fail "sip-uas counted no INVITE"

# --- RTP --------------------------------------------------------------------
bad 2 "media-server" intervals --listen nowhere
serve media-server --listen 127.0.0.1:0
ok "rtp-client" intervals --server "127.0.0.1:$port" --streams 2 --duration 1s --interval 500ms \
    --drain 200ms
csv_of "rtp-client" intervals --server "127.0.0.1:$port" --streams 2 --duration 1s \
    --interval 500ms --drain 200ms
stop_server media-server intervals
# nothing answers now: a failed run (exit 1), its figures and its error
bad 1 "rtp-client" intervals --server "127.0.0.1:$port" --streams 1 --duration 1s \
    --interval 500ms --drain 200ms
[[ $(jq '.intervals | length' "$work/out") -eq 2 ]] || fail "rtp-client: a failed run's intervals"

# --- UDP and TCP loads ------------------------------------------------------
bad 2 "udp-sink" intervals --listen nowhere
serve udp-sink --listen 127.0.0.1:0
ok "udp-gen" intervals --target "127.0.0.1:$port" --rate 1000 --duration 300ms --interval 100ms
csv_of "udp-gen" intervals --target "127.0.0.1:$port" --rate 1000 --duration 300ms \
    --interval 100ms
bad 2 "udp-gen" intervals --target nowhere
stop_server udp-sink intervals
bad 2 "tcp-sink" intervals --listen nowhere
serve tcp-sink --listen 127.0.0.1:0
ok "tcp-gen" intervals --target "127.0.0.1:$port" --duration 300ms --interval 100ms
csv_of "tcp-gen" intervals --target "127.0.0.1:$port" --duration 300ms --interval 100ms
stop_server tcp-sink intervals
bad 1 "tcp-gen" intervals --target "127.0.0.1:$port" --duration 300ms

# --- the profiler: its --csv is a file of every sample ----------------------
ok "profile" intervals --duration 300ms --interval 50ms --csv "$work/samples.csv"
python3 - "$work/samples.csv" <<'EOF' || fail "profile --csv: $(head -3 "$work/samples.csv")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["t_s", "target", "metric", "value"] and len(rows) >= 2
assert all(len(r) == 4 for r in rows)
EOF
csv_seen[profile]=1
bad 2 "profile" intervals --pid nope

# --- cleanup, in a journal folder of its own --------------------------------
mkdir -m 700 "$work/rundir"
VIRTPERF_RUNDIR=$work/rundir ok "cleanup" rounds --dry-run
mkdir -m 777 "$work/open"
VIRTPERF_RUNDIR=$work/open bad 2 "cleanup" rounds

# --- the router (root: namespaces) ------------------------------------------
if [[ $(id -u) -eq 0 ]]; then
    router=(--routers 1 --routes 10 --trial 0.1s --repeats 1 --start 1000 --max 2000 --echoes 5)
    ok "router" rounds "${router[@]}"
    csv_of "router" rounds "${router[@]}"
    bad 2 "router" rounds --routes 0
fi

# --- every command that prints JSON did so here; every --csv was tried ------
"$VP" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' >"$work/commands"
[[ $(wc -l <"$work/commands") -ge 20 ]] || fail "commands: $(cat "$work/commands")"
while read -r c; do
    [[ $c == help ]] && continue
    "$VP" help "$c" >"$work/help" || fail "help $c"
    if grep -q -- '^ *--json' "$work/help"; then
        [[ $c == router && $(id -u) -ne 0 ]] && continue
        [[ -n ${json_seen[$c]:-} ]] || fail "$c lists --json in its help; not tried here"
    fi
    if grep -q -- '^ *--csv' "$work/help"; then
        [[ $c == router && $(id -u) -ne 0 ]] && continue
        [[ -n ${csv_seen[$c]:-} ]] || fail "$c lists --csv in its help; not tried here"
    fi
done <"$work/commands"
echo ok
