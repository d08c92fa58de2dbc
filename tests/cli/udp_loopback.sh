#!/usr/bin/env bash
# udp-gen and udp-sink on loopback: a paced run arrives whole (unless the
# kernel counted a receive-buffer drop) and keeps its plan; in a network
# namespace of the test's own where nftables drops a random tenth of the
# datagrams, the loss udp-gen reports is exactly nftables' count; a sink
# that is gone makes the generator fail naming it; bad input is a one-line
# error with exit 2; the sink's own counters agree with the generators'.
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
    "$@" "$VP" udp-sink --listen 127.0.0.1:0 --json >"$work/sink.out" 2>"$work/sink.err" &
    sink=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^udp-sink: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/sink.err" \
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
end() { jq -r ".end.$1" "$work/out"; }

# bad input; a target out of the machine (TEST-NET-1) is refused by every
# generator, whatever route the machine has to it
for gen in "udp-gen --target" "tcp-gen --target" "sip-uac --target" "sip-capacity --target" "rtp-client --server"; do
    expect_exit 2 "$VP" $gen 192.0.2.1:9
    expect_one_line_error "192.0.2.1:9"
done
# an experiment's declared hosts admit exactly their addresses, no prefix of them
VIRTPERF_TARGETS=192.0.2.10,192.0.2,198.51.100.1 expect_exit 2 "$VP" udp-gen --target 192.0.2.1:9
expect_one_line_error "and an experiment's hosts"
expect_exit 2 "$VP" udp-gen --target 127.0.0.1:9 --size 63
expect_one_line_error "size"
expect_exit 2 "$VP" udp-gen --target 127.0.0.1:9 --size 65508
expect_one_line_error "size"
expect_exit 2 "$VP" udp-gen --target 127.0.0.1:9 --rate -1
expect_one_line_error "rate"
expect_exit 2 "$VP" udp-gen --size 64
expect_one_line_error "target"
expect_exit 2 "$VP" udp-gen --target localhost:9
expect_one_line_error "numeric"
expect_exit 2 "$VP" udp-sink
expect_one_line_error "listen"

# paced on loopback: whole, on plan
start_sink
drops0=$(rcvbuf_errors)
expect_exit 0 "$VP" udp-gen --target "127.0.0.1:$port" --size 64 --rate 20000 --duration 1s --json
drops=$(($(rcvbuf_errors) - drops0))
sent=$(end sent)
echo "paced: sent $sent of $(end planned), lost $(end lost), late p99 $(end late_p99_us) us, kernel drops $drops"
[[ $((sent + $(end lost))) -ge 0 && $(end received) -le $sent ]] || fail "counts: $(cat "$work/out")"
[[ $drops -gt 0 || $(end lost) -eq 0 ]] || fail "lost $(end lost) with no drop counted by the kernel"
# on plan: never ahead; behind only as far as its lateness explains
jq -e '.end.sent <= .end.planned + 1 and
       .end.sent >= .end.planned - (.end.late_p99_us / 1e6 * .start.rate) - 2 * .start.batch' \
    "$work/out" >/dev/null || jq -e .end.generator_limited "$work/out" >/dev/null ||
    fail "off its plan and not flagged: $(jq -c .end "$work/out")"
first=$(end received)

# a second flow, unpaced; then the sink's own counts agree
expect_exit 0 "$VP" udp-gen --target "127.0.0.1:$port" --size 1472 --duration 300ms --json
second=$(end received)
stop_sink
jq -e --argjson n $((first + second)) '.end | .received == $n and (.flows | length) == 2 and .foreign == 0' \
    "$work/sink.out" >/dev/null || fail "sink counters: $(cat "$work/sink.out")"

# the sink gone: the generator says so and fails
start_sink
kill -KILL "$sink"
wait "$sink" 2>/dev/null || true
sink=
expect_exit 1 "$VP" udp-gen --target "127.0.0.1:$port" --size 64 --rate 1000 --duration 200ms
expect_one_line_error "no udp-sink answers"

# exact loss: nftables drops a random tenth in a namespace of this test's own,
# on input (a drop on output is refused to the sender, which then resends:
# no sequence number is lost there)
if [[ $(id -u) -eq 0 ]] && command -v nft >/dev/null; then
    ns=vp-udp-$$
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    start_sink ip netns exec "$ns"
    ip netns exec "$ns" nft -f - <<EOF
table inet vp_udp_test {
    chain in {
        type filter hook input priority 0;
        udp dport $port udp length 108 numgen random mod 10 0 counter drop
    }
}
EOF
    # (--batch 1: nftables counts a UDP GSO send of several datagrams as one;
    # data of 100 bytes, UDP length 108: the rule leaves the 64-byte FIN alone)
    expect_exit 0 ip netns exec "$ns" "$VP" udp-gen --target "127.0.0.1:$port" --size 100 \
        --rate 20000 --batch 1 --duration 1s --json
    dropped=$(ip netns exec "$ns" nft -j list ruleset |
        jq '[.nftables[] | .rule? | select(.) | .expr[] | .counter? | select(.) | .packets] | add')
    echo "netns: sent $(end sent), nftables dropped $dropped, udp-gen counted lost $(end lost)"
    [[ $dropped -gt 0 && $(end lost) -eq $dropped ]] || fail "lost $(end lost), nftables dropped $dropped"
    [[ $(end reordered) -eq 0 && $(end duplicates) -eq 0 ]] || fail "reordered/duplicates: $(cat "$work/out")"
else
    echo "exact-loss case skipped: needs root and nft"
fi
echo ok
