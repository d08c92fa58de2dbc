#!/usr/bin/env bash
# udp-gen --direction up|down|both against a udp-sink: both directions at
# once at a low rate are exact to the datagram (unless the kernel counted a
# receive-buffer drop), per interval as in total, and the store's rows say
# the same as the JSON; in network namespaces of the test's own where
# nftables drops a random tenth of each direction's datagrams, each
# direction's loss is exactly its rule's count, in total and summed over
# the intervals; over a veth pair (1500 MTU, 10000 Mbit/s by the kernel's
# word) a size past the MTU and a rate past the link are refused; bad input
# is a one-line error with exit 2 and stores nothing.
. "$(dirname "$0")/lib.sh"

sink=
ns=()
stop_all() {
    [[ -z $sink ]] || { kill -TERM "$sink" 2>/dev/null; wait "$sink" 2>/dev/null; }
    for n in "${ns[@]}"; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$work"
}
trap stop_all EXIT

# start_sink HOST [ip netns exec NS]: sets $sink and $port
start_sink() {
    local host=$1
    shift
    rm -f "$work/sink.err"
    "$@" "$VP" udp-sink --listen "$host:0" --json >"$work/sink.out" 2>"$work/sink.err" &
    sink=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^udp-sink: listening on [0-9.]*:\([0-9]*\),.*/\1/p' "$work/sink.err" \
            2>/dev/null || true)
        [[ -n $port ]] && return 0
        sleep 0.05
    done
    fail "udp-sink did not start: $(cat "$work/sink.err")"
}
stop_sink() {
    kill -TERM "$sink"
    wait "$sink" || fail "udp-sink exited $?"
    sink=
}
rcvbuf_errors() { awk '/^Udp:/ { if (n++) print $6 }' /proc/net/snmp; }
# jqe [--arg(json) NAME VALUE]... FILTER WHAT [SHOWN]: jq -e on the last
# output, failing with SHOWN (default .end) when false
jqe() {
    local a=()
    while [[ $1 == --arg* ]]; do a+=("$1" "$2" "$3"); shift 3; done
    jq -e "${a[@]}" "$1" "$work/out" >/dev/null || fail "$2: $(jq -c "${a[@]}" "${3:-.end}" "$work/out")"
}

# --- bad input: one line, exit 2, nothing stored ----------------------------
for args in "--direction upp" "--direction" "--size 63" "--size 65508" "--interval 1ms" \
    "--duration 200s --interval 10ms" "--rate -5"; do
    # shellcheck disable=SC2086
    expect_exit 2 "$VP" udp-gen --target 127.0.0.1:9 $args
    word=${args%% *}
    expect_one_line_error "${word#--}"
done
expect_exit 2 "$VP" udp-gen --target 127.0.0.1:9 --direction sideways
expect_one_line_error "expected one of up, down, both"
[[ ! -e $VIRTPERF_STORE ]] || [[ $(sql "SELECT count(*) FROM udp_runs") -eq 0 ]] ||
    fail "bad input stored a run"

# --- both directions at a low rate: exact, per interval too ----------------
start_sink 127.0.0.1
drops0=$(rcvbuf_errors)
expect_exit 0 "$VP" udp-gen --target "127.0.0.1:$port" --size 200 --rate 1000 --duration 1s \
    --interval 200ms --direction both --json
drops=$(($(rcvbuf_errors) - drops0))
echo "both: up sent $(jq .end.up.sent "$work/out") lost $(jq .end.up.lost "$work/out"); down sent" \
    "$(jq .end.down.sent "$work/out") lost $(jq .end.down.lost "$work/out"); kernel drops $drops"
jqe '.end.status == "complete" and .start.direction == "both" and (.intervals | length) == 5' "run"
jqe '.end.up.sender == "udp-gen" and .end.down.sender == "udp-sink" and .end.up.sent > 0 and
     .end.down.sent > 0 and .end.up.duplicates == 0 and .end.down.duplicates == 0' "directions"
jqe '.end.sent == .end.up.sent + .end.down.sent and .end.lost == .end.up.lost + .end.down.lost' "sums"
if [[ $drops -eq 0 ]]; then
    jqe '.end.up.lost == 0 and .end.down.lost == 0 and .end.up.received == .end.up.sent and
         .end.down.received == .end.down.sent' "not exact with no kernel drop"
fi
for d in up down; do
    jqe --arg d $d '.end[$d] as $t | [.intervals[] | .[$d]] as $i |
        ($i | map(.sent) | add) == $t.sent and ($i | map(.received) | add) == $t.received and
        ($i | map(.lost) | add) == $t.lost and all($i[]; .lost == .sent - .received)' \
        "$d: intervals vs totals" "[.end[\$d], [.intervals[] | .[\$d] | [.sent, .received]]]"
done
# one host, one clock: every datagram has a one-way delay
jqe '.end.clocks_shared and .end.up.one_way_delay_ms.count == .end.up.received and
     .end.down.one_way_delay_ms.count == .end.down.received' "delay"
# the store says the same
run=$(jq .start.run_id "$work/out")
[[ $(sql "SELECT direction || '|' || sent || '|' || lost FROM udp_runs WHERE id = $run") == \
   "both|$(jq .end.sent "$work/out")|$(jq .end.lost "$work/out")" ]] ||
    fail "udp_runs: $(sql "SELECT * FROM udp_runs")"
for d in up down; do
    [[ $(sql "SELECT d.sent || '|' || d.received || '|' || sum(i.sent) || '|' || sum(i.received) || '|' || sum(i.lost)
              || '|' || count(*) FROM udp_directions d JOIN udp_intervals i USING (run_id, direction)
              WHERE run_id = $run AND direction = '$d'") == \
       "$(jq -r --arg d $d '.end[$d] | "\(.sent)|\(.received)|\(.sent)|\(.received)|\(.lost)|5"' "$work/out")" ]] ||
        fail "$d rows: $(sql "SELECT * FROM udp_directions; SELECT * FROM udp_intervals")"
done
[[ $(sql "SELECT sum(count) FROM udp_delay_hist WHERE run_id = $run") -eq \
   $(jq '.end.one_way_delay_ms.count' "$work/out") ]] || fail "udp_delay_hist"

# down alone: the sink sends, udp-gen only counts
expect_exit 0 "$VP" udp-gen --target "127.0.0.1:$port" --size 64 --rate 2000 --duration 500ms \
    --interval 100ms --direction down --json
jqe '.end.up == null and .end.down.sent > 0 and .end.late_p99_us == null and
     ([.intervals[] | has("up")] | any | not)' "down alone"
stop_sink
jq -e '[.end.flows[] | select(.direction == "sent")] | length == 2' "$work/sink.out" >/dev/null ||
    fail "sink counters: $(cat "$work/sink.out")"

# a sink whose clock is 3 s ahead (libfaketime): no one-way delay, and the
# intervals still hold each datagram once (each end bins by the sender's stamps)
lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
if [[ -r $lib ]]; then
    # (under AddressSanitizer, whose runtime would rather come first)
    start_sink 127.0.0.1 env LD_PRELOAD=$lib FAKETIME=+3s FAKETIME_DONT_FAKE_MONOTONIC=1 \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    drops0=$(rcvbuf_errors)
    expect_exit 0 "$VP" udp-gen --target "127.0.0.1:$port" --size 100 --rate 1000 --duration 1s \
        --interval 250ms --direction both --json
    drops=$(($(rcvbuf_errors) - drops0))
    jqe '(.end.clocks_shared | not) and .end.one_way_delay_ms == null and
         .end.up.one_way_delay_ms == null and .end.down.one_way_delay_ms == null and
         all(.intervals[]; .up.delay_mean_ms == null and .down.delay_mean_ms == null)' "clock 3 s off"
    for d in up down; do
        jqe --arg d $d '.end[$d].sent == ([.intervals[] | .[$d].sent] | add) and
            .end[$d].received == ([.intervals[] | .[$d].received] | add)' "$d: intervals, clock off"
        [[ $drops -gt 0 ]] || jqe --arg d $d '.end[$d].lost == 0' "$d: lost with the clock off"
    done
    stop_sink
else
    echo "clock-off case skipped: no libfaketime"
fi

# --- namespaces: exact loss each way; the path's MTU and link speed ---------
if [[ $(id -u) -ne 0 ]] || ! command -v nft >/dev/null; then
    echo "namespace cases skipped: need root and nft"
    echo ok
    exit 0
fi
a=vp-udpa-$$ b=vp-udpb-$$
ns=("$a" "$b")
ip netns add "$a"
ip netns add "$b"
ip -n "$a" link add vpua$$ type veth peer name vpub$$ netns "$b"
ip -n "$a" addr add 10.99.7.1/24 dev vpua$$
ip -n "$b" addr add 10.99.7.2/24 dev vpub$$
ip -n "$a" link set vpua$$ up
ip -n "$b" link set vpub$$ up
ip -n "$b" link set lo up
start_sink 10.99.7.2 ip netns exec "$b"

# a datagram past the 1500-byte MTU, a rate past 10000 Mbit/s: refused
expect_exit 2 ip netns exec "$a" "$VP" udp-gen --target "10.99.7.2:$port" --size 2000 --duration 1s
expect_one_line_error "size 2000: over the 1472 bytes.*MTU 1500.*jumbo"
speed=$(ip netns exec "$a" cat /sys/class/net/vpua$$/speed 2>/dev/null || echo 0)
if ((speed > 0)); then
    rate=$((speed * 1000000 / (1472 + 66) / 8 + 1000))
    expect_exit 2 ip netns exec "$a" "$VP" udp-gen --target "10.99.7.2:$port" --rate "$rate" --duration 1s
    expect_one_line_error "rate $rate: .* past the $speed Mbit/s the link (vpua$$) can carry"
    echo "refused: 2000 B past the MTU, $rate/s of 1472 B past $speed Mbit/s"
else
    echo "rate past the link: not checked, the kernel gives veth no speed here"
fi

# nftables drops a random tenth of the data each way, on input (a drop on
# output is refused to the sender, which sends again: no sequence number is
# lost there); data of 100 bytes: UDP length 108, the control datagrams
# pass. Up: arriving at the sink's port in its namespace; down: arriving
# at udp-gen's in its own, from the sink's sender (not from its port).
ip netns exec "$b" nft -f - <<EOF
table inet vp_udp_test {
    chain in {
        type filter hook input priority 0;
        udp dport $port udp length 108 numgen random mod 10 0 counter drop
    }
}
EOF
ip netns exec "$a" nft -f - <<EOF
table inet vp_udp_test {
    chain in {
        type filter hook input priority 0;
        udp sport != $port udp length 108 numgen random mod 10 0 counter drop
    }
}
EOF
# (--batch 1: nftables counts a UDP GSO send of several datagrams as one)
expect_exit 0 ip netns exec "$a" "$VP" udp-gen --target "10.99.7.2:$port" --size 100 \
    --rate 5000 --batch 1 --duration 1s --interval 250ms --direction both --json
dropped() { ip netns exec "$1" nft -j list ruleset |
    jq '[.nftables[] | .rule? | select(.) | .expr[] | .counter? | select(.) | .packets] | add'; }
counters="{\"up\": $(dropped "$b"), \"down\": $(dropped "$a")}"
echo "netns: nftables dropped $counters; udp-gen lost up $(jq .end.up.lost "$work/out"), down $(jq .end.down.lost "$work/out")"
jqe --argjson c "$counters" '$c.up > 0 and $c.down > 0 and .end.up.lost == $c.up and .end.down.lost == $c.down' \
    "lost vs nftables' drops $counters"
for d in up down; do
    jqe --arg d $d '.end[$d].lost == ([.intervals[] | .[$d].lost] | add) and
        .end[$d].reordered == 0 and .end[$d].duplicates == 0' "$d: interval losses" "[.intervals[] | .[\$d].lost]"
done
stop_sink
echo ok
