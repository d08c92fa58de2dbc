#!/usr/bin/env bash
# virtperf's per-stream figures against tshark's RTP stream analysis of a
# capture of the relayed packets (-z rtp,streams): lost must agree exactly,
# max delta within 1 ms, max jitter within 0.2 ms + 25% (the capture stamps
# packets in the kernel, virtperf after recvmmsg returns). Once on loopback,
# once through a veth pair between two network namespaces this test creates,
# with netem (or, in a kernel without it, nftables) dropping 5% of the
# relayed packets.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rtp_lib.sh"

command -v tshark >/dev/null || { echo "skip: tshark is not installed"; exit 77; }
[[ $(id -u) -eq 0 ]] || { echo "skip: needs root (capture, namespaces)"; exit 77; }

ns_a=vprtp$$a
ns_b=vprtp$$b
ts_pid=
cleanup() {
    [[ -n $ts_pid ]] && kill -INT "$ts_pid" 2>/dev/null && wait "$ts_pid" 2>/dev/null
    stop_media_server
    ip netns del "$ns_a" 2>/dev/null || true
    ip netns del "$ns_b" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# start_capture [NETNS-EXEC...] -- IFACE PORT: tshark writing $work/cap.pcapng
start_capture() {
    local iface=$1 port=$2
    shift 2
    rm -f "$work/cap.pcapng"
    "$@" tshark -i "$iface" -f "udp port $port" -w "$work/cap.pcapng" -q 2>"$work/ts.err" &
    ts_pid=$!
    for _ in $(seq 1 100); do
        grep -q 'Capture started\|Capturing on' "$work/ts.err" && [[ -s $work/cap.pcapng ]] &&
            return 0
        sleep 0.05
    done
    cat "$work/ts.err" >&2
    fail "tshark did not start"
}

stop_capture() {
    sleep 0.2
    kill -INT "$ts_pid"
    wait "$ts_pid" 2>/dev/null || true
    ts_pid=
}

# compare PORT CLIENT_JSON: relayed streams (source port PORT) in both tools
compare() {
    local port=$1 json=$2
    tshark -r "$work/cap.pcapng" -q -d "udp.port==$port,rtp" -z rtp,streams 2>/dev/null |
        awk -v p="$port" '$4 == p && $7 ~ /^0x/ { print $7, $9, $10, $14, $17 }' |
        while read -r ssrc rest; do echo "$((ssrc)) $rest"; done >"$work/tshark.txt"
    jq -r '.end.streams[] | "\(.ssrc) \(.received) \(.lost_rfc3550) \(.max_delta_ms) \(.jitter_max_ms)"' \
        "$json" | sort >"$work/vp.txt"
    sort -o "$work/tshark.txt" "$work/tshark.txt"
    [[ $(wc -l <"$work/tshark.txt") -eq $(wc -l <"$work/vp.txt") ]] ||
        fail "tshark saw $(wc -l <"$work/tshark.txt") relayed streams, virtperf $(wc -l <"$work/vp.txt")"
    join "$work/tshark.txt" "$work/vp.txt" | awk '
        function abs(x) { return x < 0 ? -x : x }
        { n++
          if ($2 != $6) { print "stream " $1 ": packets tshark " $2 " virtperf " $6; bad++ }
          if ($3 != $7) { print "stream " $1 ": lost tshark " $3 " virtperf " $7; bad++ }
          if (abs($4 - $8) > 1.0) { print "stream " $1 ": max delta tshark " $4 " virtperf " $8; bad++ }
          if (abs($5 - $9) > 0.2 + 0.25 * $5) { print "stream " $1 ": max jitter tshark " $5 " virtperf " $9; bad++ }
          lost += $3 }
        END { print n " streams compared, " lost " lost"; exit bad > 0 || n == 0 }' ||
        fail "tshark and virtperf disagree"
}

# The relays one skb each (--gso off): a capture on lo or a veth sees what
# the stack hands the device, and a UDP GSO run is one long packet there
# (a physical NIC, or the receiving socket, cuts it into the datagrams).
# 1. loopback
start_media_server --threads 1 --gso off
start_capture lo "$ms_port"
expect_exit 0 "$VP" rtp-client --server "127.0.0.1:$ms_port" --streams 20 --duration 3s --json
stop_capture
stop_media_server
compare "$ms_port" "$work/out"

# 2. two namespaces, netem dropping 5% of what the server relays
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add vpa$$ netns "$ns_a" type veth peer name vpb$$ netns "$ns_b"
ip -n "$ns_a" addr add 10.199.66.1/30 dev vpa$$
ip -n "$ns_b" addr add 10.199.66.2/30 dev vpb$$
ip -n "$ns_a" link set vpa$$ up
ip -n "$ns_b" link set vpb$$ up
# netem where the kernel has it; else the same random 5% drop by nftables
if ! ip netns exec "$ns_b" tc qdisc add dev vpb$$ root netem loss 5% 2>"$work/tc.err"; then
    grep -q 'unknown' "$work/tc.err" || fail "tc netem: $(cat "$work/tc.err")"
    command -v nft >/dev/null || { echo "skip: no netem in this kernel and no nft"; exit 77; }
    echo "no netem in this kernel: nftables drops 5% at random instead"
    ip netns exec "$ns_b" nft -f - <<'NFT'
table inet vprtp {
    chain out {
        type filter hook output priority 0;
        udp sport 40000 numgen random mod 100 < 5 drop
    }
}
NFT
fi
ip netns exec "$ns_b" "$VP" media-server --listen 10.199.66.2:40000 --threads 1 --gso off \
    >"$work/ms.out" 2>"$work/ms.err" &
ms_pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/ms.err" && break; sleep 0.05; done
start_capture vpa$$ 40000 ip netns exec "$ns_a"
expect_exit 0 ip netns exec "$ns_a" "$VP" rtp-client --server 10.199.66.2:40000 --streams 20 \
    --duration 3s --json
stop_capture
stop_media_server
jq -e '.end.loss_pct > 2 and .end.loss_pct < 9' "$work/out" >/dev/null ||
    fail "netem 5%: virtperf measured $(jq .end.loss_pct "$work/out")%"
compare 40000 "$work/out"
echo ok
