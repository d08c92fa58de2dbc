#!/usr/bin/env bash
# UDP load on this machine (issue 14's targets), both tools on loopback in
# the same run, sender pinned to CPU 0 and receiver to CPU 1:
#   1. as fast as it goes, 64-byte datagrams: virtperf udp-gen → udp-sink
#      beside iperf3 -u -l 64 -b 0 (target: udp-gen ≥ 3× iperf3's datagrams/s);
#      each tool's received count and loss as its receiver saw them;
#   2. 1472-byte datagrams the same way (Mbit/s);
#   3. paced at 100,000 datagrams/s: udp-gen's lateness and CPU.
# Prints markdown; bench/results/udp.md keeps the committed table.
#
# usage: bench/udp.sh [SECONDS] [TRIES]
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-5}
tries=${2:-3}
vp=${VIRTPERF:-./build/src/virtperf}
[[ -x $vp ]] || { echo "build first: make" >&2; exit 1; }
for tool in jq taskset iperf3; do
    command -v $tool >/dev/null || { echo "missing $tool: scripts/install-deps" >&2; exit 1; }
done
(($(nproc) >= 2)) || { echo "needs two CPUs" >&2; exit 1; }

work=$(mktemp -d /var/tmp/vp-bench-udp.XXXXXX)
export VIRTPERF_STORE=$work/store.db # udp-gen stores its runs: not in the user's store
pid=
cleanup() {
    [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

sink_start() {
    rm -f "$work/sink.err" # (else the last sink's port may be read before the new one truncates it)
    taskset -c 1 "$vp" udp-sink --listen 127.0.0.1:0 --sockets 1 >"$work/sink.out" 2>"$work/sink.err" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^udp-sink: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/sink.err" \
            2>/dev/null || true)
        [[ -n $port ]] && return 0
        sleep 0.05
    done
    echo "udp-sink did not start" >&2
    exit 1
}
sink_stop() {
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
}

# vp SIZE RATE: "pps loss% cpu% late_p99_us limited" of one udp-gen run
vp_run() {
    sink_start
    taskset -c 0 "$vp" udp-gen --target "127.0.0.1:$port" --size "$1" --rate "$2" \
        --duration "${secs}s" --json >"$work/gen.json"
    sink_stop
    jq -r '.end | "\(.pps | round) \(.loss_pct * 1000 | round / 1000) \(.generator_cpu_pct | round) \(.late_p99_us | round) \(.generator_limited) \(.mbps | round)"' \
        "$work/gen.json"
}

# ip SIZE: "pps loss% mbps" of one iperf3 run (its receiver's counts)
ip_run() {
    taskset -c 1 iperf3 -s -1 -p 5298 >/dev/null 2>&1 &
    pid=$!
    sleep 0.3
    taskset -c 0 iperf3 -c 127.0.0.1 -p 5298 -u -l "$1" -b 0 -t "$secs" --json >"$work/ip.json"
    wait "$pid" || true
    pid=
    jq -r '.end.sum | "\(.packets / .seconds | round) \(.lost_percent * 1000 | round / 1000) \(.bits_per_second / 1e6 | round)"' \
        "$work/ip.json"
}

# best of tries: the highest rate each tool reached
best() { sort -k1,1n | tail -1; }

echo "## UDP load"
echo
echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"
echo "kernel $(uname -r), $(iperf3 --version | head -1 | cut -d' ' -f1-2); sender on CPU 0,"
echo "receiver on CPU 1, loopback, ${secs} s per run, best of $tries."
echo
echo "| datagram | tool | datagrams/s | Mbit/s | loss % (receiver) | sender CPU % |"
echo "| ---: | --- | ---: | ---: | ---: | ---: |"
for size in 64 1472; do
    v=$(for _ in $(seq "$tries"); do vp_run "$size" 0; done | best)
    i=$(for _ in $(seq "$tries"); do ip_run "$size"; done | best)
    read -r vpps vloss vcpu _ _ vmbps <<<"$v"
    read -r ipps iloss imbps <<<"$i"
    echo "| $size B | virtperf udp-gen | $vpps | $vmbps | $vloss | $vcpu |"
    echo "| $size B | iperf3 -u -b 0 | $ipps | $imbps | $iloss | - |"
    [[ $size -eq 64 ]] && ratio=$(echo "scale=2; $vpps / $ipps" | bc)
done
echo
echo "udp-gen / iperf3 at 64 B: ${ratio}× the datagrams per second sent (target ≥ 3×). Each"
echo "tool's loss is its own receiver's count (udp-sink on one socket; iperf3 -s): at these"
echo "rates the one receiving core, not the path, drops them."
echo
read -r ppps ploss pcpu plate plim _ <<<"$(vp_run 64 100000)"
echo "Paced at 100,000 datagrams/s (64 B): reached $ppps/s, loss $ploss %, batches late"
echo "p99 $plate µs, sender CPU $pcpu %, generator-limited: $plim."
