#!/usr/bin/env bash
# tcp-gen and tcp-sink on loopback: up, down and both, each stream's bytes
# received exactly as sent, the intervals adding up to the whole, the runs
# in the store, the sink's own totals equal to the generators'; with
# segments dropped on the way in a network namespace of the test's own
# (netem where the kernel has it, else nftables' random drop), TCP
# retransmits and the count is still exact; a sink that is not there or
# dies mid-run, an interrupted generator, and bad input: one-line errors
# with exit 1 or 2, never a hang.
. "$(dirname "$0")/lib.sh"

sink=
ns=
stop_all() {
    [[ -z $sink ]] || { kill -TERM "$sink" 2>/dev/null; wait "$sink" 2>/dev/null; }
    [[ -z $ns ]] || ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
}
trap stop_all EXIT

# start_sink [ip netns exec NS]: sets $sink and $port
start_sink() {
    rm -f "$work/sink.err"
    "$@" "$VP" tcp-sink --listen 127.0.0.1:0 --json >"$work/sink.out" 2>"$work/sink.err" &
    sink=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^tcp-sink: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/sink.err" \
            2>/dev/null || true)
        [[ -n $port ]] && return 0
        sleep 0.05
    done
    fail "tcp-sink did not start: $(cat "$work/sink.err")"
}
stop_sink() {
    kill -TERM "$sink"
    wait "$sink" || fail "tcp-sink exited $?"
    sink=
}

# exact FILE DIRS...: in a tcp-gen document, every direction's and stream's
# bytes received equal those sent, and the intervals add up to the end's.
exact() {
    local f=$1 d
    shift
    for d in "$@"; do
        jq -e --arg d "$d" '. as $doc | .end[$d] as $e | $e.bytes > 0 and $e.bytes == $e.sent_bytes
            and ($e.streams | length) == .start.streams
            and all($e.streams[]; .bytes == .sent_bytes and .bytes > 0)
            and ([.intervals[][$d].bytes] | add) == $e.bytes
            and all(range($doc.start.streams); . as $s
                    | ([$doc.intervals[][$d].streams[$s].bytes] | add) == $e.streams[$s].bytes)' \
            "$f" >/dev/null || fail "$d not exact: $(jq -c --arg d "$d" '.end[$d] | del(.streams)' "$f")"
    done
}

# --- bad input: exit 2, one line naming the problem ------------------------
expect_exit 2 "$VP" tcp-gen --target 127.0.0.1:9 --streams 0
expect_one_line_error "streams"
expect_exit 2 "$VP" tcp-gen --target 127.0.0.1:9 --streams 129
expect_one_line_error "streams"
expect_exit 2 "$VP" tcp-gen --target 127.0.0.1:9 --direction sideways
expect_one_line_error "direction"
expect_exit 2 "$VP" tcp-gen --target 127.0.0.1:9 --duration 0
expect_one_line_error "duration"
expect_exit 2 "$VP" tcp-gen --streams 2
expect_one_line_error "target"
expect_exit 2 "$VP" tcp-gen --target localhost:9
expect_one_line_error "numeric"
expect_exit 2 "$VP" tcp-gen --target 127.0.0.1
expect_one_line_error "HOST:PORT"
expect_exit 2 "$VP" tcp-sink
expect_one_line_error "listen"
[[ ! -e $VIRTPERF_STORE ]] || fail "bad input created the store"

# --- up, down, both: exact, stored, the sink agrees ------------------------
start_sink
up=0 down=0
for dir in up down both; do
    expect_exit 0 "$VP" tcp-gen --target "127.0.0.1:$port" --streams 2 --direction "$dir" \
        --duration 600ms --interval 200ms --json
    cp "$work/out" "$work/$dir.json"
    case $dir in
    up) exact "$work/$dir.json" up ;;
    down) exact "$work/$dir.json" down ;;
    both) exact "$work/$dir.json" up down ;;
    esac
    jq -e --arg d "$dir" '.start.direction == $d and .end.status == "complete" and .start.run_id > 0
        and (.intervals | length) >= 1 and (.intervals | length) <= 3
        and (.end | has("generator_limited"))' "$work/out" \
        >/dev/null || fail "$dir: $(jq -c '.start, .end.status' "$work/out")"
    up=$((up + $(jq '.end.up.bytes // 0' "$work/out")))
    down=$((down + $(jq '.end.down.bytes // 0' "$work/out")))
    echo "$dir: $(jq -c '[.end.up.bits_per_second, .end.down.bits_per_second] | map((. // 0) / 1e6 | round)' "$work/out") Mbit/s"
done
# the lines a person reads
expect_exit 0 "$VP" tcp-gen --target "127.0.0.1:$port" --duration 300ms --interval 100ms
grep -q "^0.00-0.1[0-9] *up " "$work/out" || fail "text: no first interval line: $(cat "$work/out")"
grep -q "^end (goodput from each receiver's count" "$work/out" || fail "text: no end: $(cat "$work/out")"
grep -q "^stored as tcp run 4$" "$work/out" || fail "text: run id: $(cat "$work/out")"
stop_sink
jq -e '.end | .served == 4 and .failed == 0 and (.runs | length) == 4
    and .runs[0].direction == "up" and .runs[2].direction == "both"' "$work/sink.out" >/dev/null ||
    fail "sink: $(jq -c '.end | del(.runs)' "$work/sink.out")"
# the sink's own totals: the three JSON runs' bytes plus the text run's (up)
[[ $(jq '[.end.runs[0:3][].rx_bytes] | add' "$work/sink.out") -eq $up &&
   $(jq '.end.tx_bytes' "$work/sink.out") -eq $down ]] ||
    fail "sink totals $(jq -c '.end | [.rx_bytes, .tx_bytes]' "$work/sink.out"), generators up $up down $down"
# the store: each interval row adds up to its run's figure
[[ $(sql "SELECT count(*) FROM tcp_runs WHERE status = 'complete'") -eq 4 ]] ||
    fail "tcp_runs: $(sql 'SELECT id, status FROM tcp_runs')"
[[ $(sql "SELECT count(*) FROM tcp_streams") -eq 9 ]] || fail "tcp_streams: $(sql 'SELECT count(*) FROM tcp_streams')"
bad=$(sql "SELECT r.id FROM tcp_runs r WHERE r.up_bytes IS NOT
             (SELECT sum(bytes) FROM tcp_intervals WHERE run_id = r.id AND direction = 'up')
           OR r.down_bytes IS NOT
             (SELECT sum(bytes) FROM tcp_intervals WHERE run_id = r.id AND direction = 'down')")
[[ -z $bad ]] || fail "store: intervals do not add up in runs $bad"

# --- nobody listening: refused, one line, exit 1 (and a JSON error) --------
expect_exit 1 "$VP" tcp-gen --target "127.0.0.1:$port" --duration 1s
expect_one_line_error "connect to 127.0.0.1:$port: Connection refused"
expect_exit 1 "$VP" tcp-gen --target "127.0.0.1:$port" --json
jq -e '.error | test("refused")' "$work/out" >/dev/null || fail "json error: $(cat "$work/out")"

# --- the sink dies mid-run: the generator fails at once, naming it --------
start_sink
"$VP" tcp-gen --target "127.0.0.1:$port" --duration 20s >"$work/gen.out" 2>"$work/gen.err" &
gen=$!
sleep 0.7
kill -KILL "$sink"
wait "$sink" 2>/dev/null || true
sink=
t0=$SECONDS
rc=0
wait "$gen" || rc=$?
[[ $rc -eq 1 && $((SECONDS - t0)) -le 5 ]] || fail "sink killed: exit $rc after $((SECONDS - t0)) s"
[[ $(wc -l <"$work/gen.err") -eq 1 ]] && grep -q "sink\|stream" "$work/gen.err" ||
    fail "sink killed: $(cat "$work/gen.err")"
echo "sink killed: $(cat "$work/gen.err")"

# --- SIGINT: the partial run is stored, exit 1 -----------------------------
start_sink
"$VP" tcp-gen --target "127.0.0.1:$port" --duration 20s --json >"$work/gen.out" 2>"$work/gen.err" &
gen=$!
sleep 0.7
kill -INT "$gen"
t0=$SECONDS
rc=0
wait "$gen" || rc=$?
[[ $rc -eq 1 && $((SECONDS - t0)) -le 3 ]] ||
    fail "interrupted: exit $rc after $((SECONDS - t0)) s: $(cat "$work/gen.err")"
grep -qx "virtperf: tcp-gen: interrupted; the partial run is stored" "$work/gen.err" ||
    fail "interrupted: $(cat "$work/gen.err")"
exact "$work/gen.out" up
jq -e '.end.status == "interrupted"' "$work/gen.out" >/dev/null || fail "interrupted: status"
[[ $(sql "SELECT status FROM tcp_runs ORDER BY id DESC LIMIT 1") == interrupted ]] ||
    fail "interrupted: not stored"
stop_sink

# --- loss in a namespace of the test's own: retransmitted, still exact -----
loss=
if [[ $(id -u) -eq 0 ]]; then
    ns=vp-tcp-$$
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    if ip netns exec "$ns" tc qdisc add dev lo root netem loss 2% 2>/dev/null; then
        loss="netem loss 2%"
        start_sink ip netns exec "$ns"
    elif command -v nft >/dev/null; then
        start_sink ip netns exec "$ns"
        ip netns exec "$ns" nft -f - <<EOF
table inet vp_tcp_test {
    chain in {
        type filter hook input priority 0;
        tcp dport $port meta length > 1000 numgen random mod 50 0 counter drop
    }
}
EOF
        loss="nftables: a random 2% of data segments to the sink dropped (this kernel has no netem)"
    fi
fi
if [[ -n $loss ]]; then
    expect_exit 0 ip netns exec "$ns" "$VP" tcp-gen --target "127.0.0.1:$port" --streams 2 \
        --duration 1s --interval 250ms --json
    exact "$work/out" up
    echo "loss ($loss): $(jq -c '.end.up | {bytes, retransmits, mbps: (.bits_per_second / 1e6 | round)}' "$work/out")"
    jq -e '.end.up.retransmits > 0 and all(.end.up.streams[]; .retransmits >= 0)' "$work/out" \
        >/dev/null || fail "no retransmission counted under loss: $(jq -c '.end.up | del(.streams)' "$work/out")"
    stop_sink
else
    skip_judgement "retransmissions under loss: needs root and netem or nftables"
fi
end_test
