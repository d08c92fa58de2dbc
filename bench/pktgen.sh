#!/usr/bin/env bash
# The tester's 64-byte packet generator (issue 14: ≥ 1 Mpps on one core),
# beside trafgen (netsniff-ng) with an equivalent frame, in the same run;
# every sender pinned to CPU 0, in namespaces this script makes:
#   (a) into an ifb device, which drops every frame it is handed (this
#       kernel has no dummy device): the sender's own cost;
#   (b) into a veth whose peer is in another namespace, where the sink
#       (pkt_bench sink, CPU 1) counts the frames; RPS moves the peer's
#       receive work to CPU 1, so CPU 0 is the sender's;
#   (c) paced at 500,000 and 1,000,000 frames/s into the veth: kept its
#       plan or not, lateness, loss at the sink.
# The kernel's pktgen is tried (modprobe pktgen) and said absent otherwise.
# Prints markdown; bench/results/pktgen.md keeps the committed table.
#
# usage: bench/pktgen.sh [SECONDS] [TRIES]
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-3}
tries=${2:-3}
pb=${PKT_BENCH:-./build/tests/pkt_bench}
[[ -x $pb ]] || { echo "build first: make" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (namespaces, AF_PACKET)" >&2; exit 1; }
for tool in jq taskset ip trafgen; do
    command -v $tool >/dev/null || { echo "missing $tool: scripts/install-deps" >&2; exit 1; }
done
(($(nproc) >= 2)) || { echo "needs two CPUs" >&2; exit 1; }

G=vpb-gen-$$ S=vpb-sink-$$
work=$(mktemp -d /var/tmp/vp-bench-pktgen.XXXXXX)
pid=
cleanup() {
    [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    ip netns del "$G" 2>/dev/null || true
    ip netns del "$S" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

MAC_G=02:70:6b:00:00:01 MAC_S=02:70:6b:00:00:02
token=$((RANDOM * 65536 + RANDOM + 1))
ip netns add "$G"
ip netns add "$S"
for ns in "$G" "$S"; do
    ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
                               echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'
done
ip -n "$G" link add ifb0 address $MAC_G type ifb
ip -n "$G" link add vG address $MAC_G type veth peer name vS address $MAC_S netns "$S"
ip -n "$G" link set ifb0 up
ip -n "$G" link set vG up
ip -n "$S" link set vS up
ip netns exec "$S" sh -c 'echo 2 >/sys/class/net/vS/queues/rx-0/rps_cpus'

# trafgen's frame: ours, byte for byte but the payload (zeros), its
# destination turning over the same 16 /24s, the IPv4 checksum per frame
cat >"$work/trafgen.cfg" <<EOF
{
  0x${MAC_S//:/,0x}, 0x${MAC_G//:/,0x}, 0x08, 0x00,
  0x45, 0x00, const16(46), const16(0), const16(0x4000), 64, 17, csumip(14, 33),
  198, 18, 0, 1, 198, 19, dinc(16, 31, 1), 1,
  const16(9000), const16(9000), const16(26), const16(0),
  fill(0x00, 18)
}
EOF

rx_packets() { ip -n "$S" -s -j link show vS | jq '.[0].stats64.rx.packets'; }

sink_start() {
    ip netns exec "$S" taskset -c 1 "$pb" sink vS 3600 $token >"$work/sink.json" \
        2>"$work/sink.err" &
    pid=$!
    for _ in $(seq 100); do
        grep -q ready "$work/sink.err" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "sink did not start" >&2
    exit 1
}
sink_stop() {
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
}

# vp DEV TX [RATE]: "pps cpu% reached received sent late_p99_us behind sink_ring_drops"
vp_run() {
    local sink=0 rx0 rx1
    [[ $1 == vG ]] && sink=1
    ((sink)) && sink_start
    rx0=$(rx_packets)
    ip netns exec "$G" taskset -c 0 "$pb" gen "$1" $MAC_S "$secs" "${3:-0}" "$2" $token \
        >"$work/gen.json"
    ((sink)) && sink_stop
    rx1=$(rx_packets)
    local got=- drops=-
    ((sink)) && got=$(jq .received "$work/sink.json") && drops=$(jq .ring_drops "$work/sink.json")
    jq -r --arg reached $(((rx1 - rx0) / secs)) --arg got "$got" --arg drops "$drops" \
        '"\(.pps | round) \(.cpu_pct | round) \($reached) \($got) \(.sent) \(.late_p99_us) \(.behind) \($drops)"' \
        "$work/gen.json"
}

# tg DEV: "pps cpu% reached" of trafgen sending 1,000,000 frames per second
# of the run (its own count of frames sent, over its own running time), or
# "failed: what it said"
tg_run() {
    local rx0 rx1 out n real user sys us
    rx0=$(rx_packets)
    out=$({
        TIMEFORMAT='time %R %U %S'
        time ip netns exec "$G" taskset -c 0 trafgen --dev "$1" --conf "$work/trafgen.cfg" \
            --cpus 1 -n $((1000000 * secs)) 2>&1 | tr -d '\r'
    } 2>&1) || true
    rx1=$(rx_packets)
    n=$(sed -n 's/^ *\([0-9]*\) packets outgoing.*/\1/p' <<<"$out")
    us=$(sed -n 's/^ *\([0-9]*\) sec, \([0-9]*\) usec on CPU.*/\1 \2/p' <<<"$out" |
        awk '{print $1 * 1000000 + $2}')
    read -r real user sys <<<"$(sed -n 's/^time //p' <<<"$out")"
    if [[ -z $n || -z $us ]]; then
        echo "failed: $(grep -m1 -iE 'fail|error|panic' <<<"$out")"
        return
    fi
    awk -v n="$n" -v us="$us" -v r="$real" -v u="$user" -v s="$sys" -v rx=$((rx1 - rx0)) \
        'BEGIN { printf "%d %d %d\n", n * 1e6 / us, 100 * (u + s) / r, rx / r }'
}

best() { sort -k1,1n | tail -1; }

echo "## Packet generator (64-byte frames)"
echo
echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "($(grep -m1 -o 'hypervisor' /proc/cpuinfo >/dev/null && echo 'a KVM guest' || echo 'bare metal')),"
echo "kernel $(uname -r), $(trafgen --version | head -1 | cut -d' ' -f1-2); senders on CPU 0,"
echo "the sink on CPU 1; ${secs} s per run, best of $tries (by frames/s)."
echo
echo "| into | sender | frames/s | sender CPU % | frames per CPU-second | reaching the peer /s | sink: received / sent |"
echo "| --- | --- | ---: | ---: | ---: | ---: | --- |"
row() { # WHAT SENDER "pps cpu reached [received sent]"
    local pps cpu reached got sent per
    read -r pps cpu reached got sent <<<"$3"
    if [[ $pps == failed: ]]; then
        echo "| $1 | $2 | ${3#failed: } | | | | |"
        return
    fi
    per=$(awk -v p="$pps" -v c="$cpu" 'BEGIN { printf "%d", (c > 0 ? p * 100 / c : 0) }')
    echo "| $1 | $2 | $pps | $cpu | $per | $reached | ${got:+$got / $sent} |"
}
rps() { ip netns exec "$S" sh -c "echo $1 >/sys/class/net/vS/queues/rx-0/rps_cpus"; }
for target in ifb0 "vG 0" "vG 2"; do
    read -r dev mask <<<"$target"
    case "$target" in
    ifb0) what="ifb (drops all)" ;;
    "vG 0") what="veth → sink, its receive work on CPU 0" ;;
    *) what="veth → sink, its receive work on CPU 1 (RPS)" ;;
    esac
    [[ -n ${mask:-} ]] && rps "$mask"
    for tx in ring mmsg; do
        r=$(for _ in $(seq "$tries"); do vp_run "$dev" $tx; done | best)
        read -r pps cpu reached got sent _ _ <<<"$r"
        [[ $dev == ifb0 ]] && reached=- got= sent=
        row "$what" "virtperf pkt_gen ($tx)" "$pps $cpu $reached $got $sent"
        [[ $dev == ifb0 && $tx == ring ]] && vp_ifb=$pps
    done
    r=$(for _ in $(seq "$tries"); do tg_run "$dev"; done | best)
    [[ $dev == ifb0 ]] && r=$(awk '{ $3 = "-"; print }' <<<"$r") && tg_ifb=${r%% *}
    row "$what" "trafgen --cpus 1" "$r"
done
echo
echo "pkt_gen (ring) / trafgen into ifb: $(awk -v a="$vp_ifb" -v b="$tg_ifb" \
    'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')× the frames per second."
echo
for rate in 500000 1000000; do
    read -r ppps _ _ pgot psent plate pbehind pdrops <<<"$(vp_run vG ring $rate)"
    echo "Paced at $rate frames/s into the veth (receive on CPU 1): reached $ppps/s, batches"
    echo "late p99 $plate µs, behind its plan: $pbehind; the sink received $pgot of $psent"
    echo "(its ring dropped $pdrops)."
    echo
done
echo
if modprobe pktgen 2>/dev/null && [[ -d /proc/net/pktgen ]]; then
    echo "The kernel's pktgen is loaded here but not driven by this script yet."
else
    echo "The kernel's pktgen: absent (\`modprobe pktgen\` fails: CONFIG_NET_PKTGEN is not set)."
fi
