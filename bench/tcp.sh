#!/usr/bin/env bash
# TCP load on this machine (issue 14's target: tcp-gen's goodput within 5%
# of iperf3's with the same streams), both tools on loopback in the same
# run, sender pinned to CPU 0 and receiver to CPU 1 for both alike:
#   virtperf tcp-gen → tcp-sink      beside      iperf3 -c ... -P N → iperf3 -s
# with 1 and 4 streams, writes of 128 KiB (both tools' default), each tool's
# goodput as its receiver counted it; the tries alternate between the tools
# so that both meet the same conditions, and the best of each is compared.
# Prints markdown; bench/results/tcp.md keeps the committed table.
#
# usage: flock /work/bench.lock bench/tcp.sh [SECONDS] [TRIES]
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-5}
tries=${2:-3}
vp=${VIRTPERF:-./build/src/virtperf}
[[ -x $vp ]] || { echo "build first: make" >&2; exit 1; }
for tool in jq taskset iperf3 bc; do
    command -v $tool >/dev/null || { echo "missing $tool: scripts/install-deps" >&2; exit 1; }
done
(($(nproc) >= 2)) || { echo "needs two CPUs" >&2; exit 1; }

work=$(mktemp -d /var/tmp/vp-bench-tcp.XXXXXX)
export VIRTPERF_STORE=$work/store.db
sink= server=
cleanup() {
    for p in $sink $server; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

taskset -c 1 "$vp" tcp-sink --listen 127.0.0.1:0 >"$work/sink.out" 2>"$work/sink.err" &
sink=$!
for _ in $(seq 100); do
    port=$(sed -n 's/^tcp-sink: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/sink.err")
    [[ -n $port ]] && break
    sleep 0.05
done
[[ -n $port ]] || { echo "tcp-sink did not start: $(cat "$work/sink.err")" >&2; exit 1; }
iport=5301
taskset -c 1 iperf3 -s -p $iport >/dev/null 2>&1 &
server=$!
sleep 0.3

# vp_run N: "Gbit/s retransmits generator_cpu% sink_cpu%" of one tcp-gen run
vp_run() {
    taskset -c 0 "$vp" tcp-gen --target "127.0.0.1:$port" --streams "$1" --duration "${secs}s" \
        --json >"$work/gen.json"
    jq -r '.end | "\(.up.bits_per_second / 1e9) \(.up.retransmits) \(.generator_cpu_pct | round) \(.sink_receiver_cpu_pct | round)"' \
        "$work/gen.json"
}

# ip_run N: "Gbit/s retransmits client_cpu% server_cpu%" of one iperf3 run
ip_run() {
    taskset -c 0 iperf3 -c 127.0.0.1 -p $iport -P "$1" -t "$secs" --json >"$work/ip.json"
    jq -r '.end | "\(.sum_received.bits_per_second / 1e9) \(.sum_sent.retransmits) \(.cpu_utilization_percent.host_total | round) \(.cpu_utilization_percent.remote_total | round)"' \
        "$work/ip.json"
}

best() { sort -k1,1g | tail -1; }
median() { sort -k1,1g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
fmt() { printf '%.2f' "$1"; }

load0=$(cut -d' ' -f1 /proc/loadavg)
echo "## TCP load"
echo
echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"
echo "kernel $(uname -r), $(iperf3 --version | head -1 | cut -d' ' -f1-2); sender on CPU 0, receiver"
echo "on CPU 1, loopback, ${secs} s per run, writes of 128 KiB, best of $tries (tries alternate"
echo "between the tools)."
echo
echo "| streams | tool | Gbit/s (receiver), best | median | all tries | retransmits (best) | sender CPU % | receiver CPU % |"
echo "| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: |"
summary=() medians=()
for n in 1 4; do
    : >"$work/v" && : >"$work/i"
    for _ in $(seq "$tries"); do
        vp_run "$n" >>"$work/v"
        ip_run "$n" >>"$work/i"
    done
    read -r vg vr vc vs <<<"$(best <"$work/v")"
    read -r ig ir ic is <<<"$(best <"$work/i")"
    vall=$(awk '{ printf "%s%.2f", (NR > 1 ? ", " : ""), $1 }' "$work/v")
    iall=$(awk '{ printf "%s%.2f", (NR > 1 ? ", " : ""), $1 }' "$work/i")
    vm=$(median <"$work/v") im=$(median <"$work/i")
    echo "| $n | virtperf tcp-gen | $(fmt "$vg") | $(fmt "$vm") | $vall | $vr | $vc | $vs |"
    echo "| $n | iperf3 -P $n | $(fmt "$ig") | $(fmt "$im") | $iall | $ir | $ic | $is |"
    summary+=("$n stream$([[ $n -gt 1 ]] && echo s): $(printf '%.3f' "$(echo "$vg / $ig" | bc -l)")×")
    medians+=("$n: $(printf '%.3f' "$(echo "$vm / $im" | bc -l)")×")
done
echo
echo "tcp-gen / iperf3 goodput, best against best: ${summary[*]} (target ≥ 0.95×);"
echo "median against median: ${medians[*]}."
echo
echo "Load average (1 min) before the runs $load0, after $(cut -d' ' -f1 /proc/loadavg): the"
echo "tools' own processes count in it; more than about 2 means other work shared the CPUs."
