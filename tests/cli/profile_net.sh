#!/usr/bin/env bash
# virtperf profile on a veth pair between two network namespaces this test
# makes: the bytes and packets counted on each side match, exactly, the UDP
# datagrams the test sends (IPv6 off and static neighbours, so nothing else
# crosses the link, and b drops frames silently). Also: a bad --iface is a one-line input error.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root for network namespaces"; exit 77; }

nsa=vp-prof-a-$$
nsb=vp-prof-b-$$
prof=
cleanup() {
    [[ -n $prof ]] && { kill -9 "$prof" 2>/dev/null; wait "$prof" 2>/dev/null || true; }
    ip netns del "$nsa" 2>/dev/null
    ip netns del "$nsb" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$nsa"
ip netns add "$nsb"
for ns in "$nsa" "$nsb"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1
done
ip link add va netns "$nsa" address 02:00:00:00:00:0a type veth peer name vb netns "$nsb" \
    address 02:00:00:00:00:0b
ip -n "$nsa" addr add 10.77.0.1/24 dev va
ip -n "$nsb" addr add 10.77.0.2/24 dev vb
ip -n "$nsa" link set va up
ip -n "$nsb" link set vb up
# a's neighbour entry for b names another MAC: b's interface counts each
# frame, then drops it as not addressed to it, silently (no ICMP back)
ip -n "$nsa" neigh replace 10.77.0.2 lladdr 02:00:00:00:00:0c dev va nud permanent

expect_exit 2 "$VP" profile --iface "$nsa/nosuch0" --duration 1s
expect_one_line_error "not found"
expect_exit 2 "$VP" profile --iface "no-such-ns-$$/lo" --duration 1s
expect_one_line_error "no network namespace"

"$VP" profile --no-cores --iface "A=$nsa/va" --iface "B=$nsb/vb" --duration 2s \
    --interval 50ms --json >"$work/net.json" 2>"$work/net.err" &
prof=$!
sleep 0.5
count=200
payload=1000
# bash writes one datagram per write to /dev/udp; port 9 (discard) in b
ip netns exec "$nsa" bash -c '
    data=$(head -c '"$payload"' /dev/zero | tr "\0" x)
    exec 3>/dev/udp/10.77.0.2/9
    for ((i = 0; i < '"$count"'; i++)); do printf %s "$data" >&3; done'
wait "$prof" || fail "profile exited $?: $(cat "$work/net.err")"
prof=
total() { # TARGET METRIC
    jq -r --arg t "$1" --arg m "$2" \
        '.end.series[] | select(.target == $t and .metric == $m) | .total' "$work/net.json"
}
frame=$((payload + 8 + 20 + 14)) # UDP, IPv4 and Ethernet headers
want=$((count * frame))
[[ $(total A/va net.tx_bytes) == "$want" ]] || fail "A/va tx_bytes $(total A/va net.tx_bytes), sent $want"
[[ $(total B/vb net.rx_bytes) == "$want" ]] || fail "B/vb rx_bytes $(total B/vb net.rx_bytes), sent $want"
[[ $(total A/va net.tx_packets) == "$count" ]] || fail "A/va tx_packets $(total A/va net.tx_packets)"
[[ $(total B/vb net.rx_packets) == "$count" ]] || fail "B/vb rx_packets $(total B/vb net.rx_packets)"
[[ $(total B/vb net.tx_bytes) == 0 ]] || fail "B/vb sent $(total B/vb net.tx_bytes) bytes back"
echo ok
