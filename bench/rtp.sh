#!/usr/bin/env bash
# RTP media capacity on this machine, two cores:
#   1. the most streams one pinned core of rtp-client sustains on loopback
#      (sending and receiving on CPU 0, media-server --work none with
#      $SERVER_THREADS threads on CPU 1) with zero loss and p99 send lateness
#      < 200 µs; beside it iperf3 sending 172-byte UDP datagrams as fast as it
#      can on the same pinned core, the packet rate a plain UDP sender reaches;
#   2. the most streams media-server relays with its default per-packet work
#      (G.711 decode, 32-tap FIR, encode) before loss: its $SERVER_THREADS
#      worker threads share CPU 1, the client is on CPU 0.
# Prints markdown; bench/results/rtp.md keeps the committed table.
#
# usage: bench/rtp.sh [SECONDS] [CLIENT_STEPS] [SERVER_STEPS] [TRIES]
#   VIRTPERF=path/to/virtperf picks another build, SERVER_THREADS (2) the
#   media server's worker threads.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-5}
client_steps=${2:-"4000 6000 8000 10000 11000 12000"}
server_steps=${3:-"2000 4000 6000 8000 10000 11000 12000"}
tries=${4:-3}
threads=${SERVER_THREADS:-2}
vp=${VIRTPERF:-./build/src/virtperf}
[[ -x $vp ]] || { echo "build first: make" >&2; exit 1; }
for tool in jq taskset iperf3; do
    command -v $tool >/dev/null || { echo "missing $tool: scripts/install-deps" >&2; exit 1; }
done
(($(nproc) >= 2)) || { echo "needs two CPUs" >&2; exit 1; }
# SCHED_FIFO (as root) keeps other tenants of a shared machine off the two
# pinned cores while they work; both sides sleep between ticks, and the
# kernel's RT throttling leaves 5% to everything else in any case
prio=()
[[ $(id -u) -eq 0 ]] && command -v chrt >/dev/null && prio=(chrt -f 10)

work=$(mktemp -d /var/tmp/vp-bench-rtp.XXXXXX)
ms_pid=
ip_pid=
cleanup() {
    [[ -n $ms_pid ]] && kill -TERM "$ms_pid" 2>/dev/null && wait "$ms_pid" 2>/dev/null
    [[ -n $ip_pid ]] && kill -TERM "$ip_pid" 2>/dev/null && wait "$ip_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export VIRTPERF_STORE=$work/store.db

start_server() { # options...
    "${prio[@]}" taskset -c 1 "$vp" media-server --listen 127.0.0.1:0 --threads "$threads" --json "$@" \
        >"$work/ms.json" 2>"$work/ms.err" &
    ms_pid=$!
    port=
    for _ in $(seq 1 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/ms.err" 2>/dev/null || true)
        [[ -n $port ]] && return 0
        sleep 0.05
    done
    echo "media-server did not start" >&2
    exit 1
}

stop_server() {
    kill -TERM "$ms_pid"
    wait "$ms_pid" || true
    ms_pid=
}

# one row: streams, loss, delay, lateness, client CPU, drops on each side;
# up to $tries runs, the first that meets the criteria is shown (other tenants
# of a shared machine starve either side now and then), else the last one
run_row() { # streams
    local n=$1 try
    for try in $(seq 1 "$tries"); do
        start_server "${server_opts[@]}"
        "${prio[@]}" taskset -c 0 "$vp" rtp-client --server "127.0.0.1:$port" --streams "$n" \
            --duration "${secs}s" --drain 500ms --json >"$work/c.json" 2>/dev/null || true
        stop_server
        jq -e '.end.lost == 0 and .end.self_check.lateness_p99_us < 200' "$work/c.json" \
            >/dev/null && break
    done
    jq -r --arg n "$n" --arg run "$try" --slurpfile ms "$work/ms.json" '.end as $e | $e.self_check as $s |
        def r(d): . * pow(10; d) | round / pow(10; d);
        "| \($n) | \($n | tonumber * 50 / 1000) k | \($e.lost) (\($e.loss_pct | r(3))%) |" +
        " \($e.delay_ms.median | r(3)) / \($e.delay_ms.p99 | r(3)) |" +
        " \($s.lateness_p50_us | r(1)) / \($s.lateness_p99_us | r(1)) / \($s.lateness_max_us | r(0)) |" +
        " \($s.cpu_fraction * 100 | r(0))% | \($s.rcvbuf_drops) | \($ms[0].end.rxq_drops) |" +
        " \(if $e.lost == 0 and $s.lateness_p99_us < 200 then "yes" else "no" end) | \($run) |"' \
        "$work/c.json"
}

header() {
    echo "| streams | packets/s each way | lost | delay ms p50 / p99 | lateness µs p50 / p99 / max | client CPU | client drops | server drops | zero loss, p99 < 200 µs | runs |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |"
}

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "## RTP streams: rtp-client and media-server capacity"
echo
echo "Machine: $(nproc) CPUs, $cpu, kernel $(uname -r); $(date -u '+%Y-%m-%d %H:%M UTC')."
echo "Build: ${BENCH_LABEL:-$(git rev-parse --short HEAD 2>/dev/null || echo "$vp")} ($vp)."
echo "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine"
echo "shows as lateness and starvation of either side; compare rows of one run only)."
echo "Each row: one rtp-client run of ${secs} s (172-byte UDP payload every 20 ms per stream),"
echo "client pinned to CPU 0, media-server ($threads worker threads, both) pinned to CPU 1; each row"
echo "is the first of up to $tries runs that meets the criteria (or the last run), \"runs\" says which."
echo "Scheduling: ${prio[*]:-normal (not root)}."
echo

echo "### 1. rtp-client on one core (media-server --work none)"
echo
header
server_opts=(--work none)
for n in $client_steps; do run_row "$n"; done
echo
# the peer: a plain UDP sender of 172-byte datagrams on the same pinned core
"${prio[@]}" taskset -c 1 iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
ip_pid=$!
sleep 0.3
pps=$("${prio[@]}" taskset -c 0 iperf3 -c 127.0.0.1 -p 5299 -u -l 172 -b 0 -t "$secs" --json |
    jq '.end.sum.packets / .end.sum.seconds | round')
wait "$ip_pid" 2>/dev/null || true
ip_pid=
echo "Peer: iperf3 -u -l 172 -b 0 (send only, no receive, no timing) on the same pinned"
echo "core: $pps datagrams/s, i.e. the send-only ceiling of $((pps / 50)) streams' worth."
echo

echo "### 2. media-server, $threads threads on one core, default work (transcode, 32 FIR taps)"
echo
header
server_opts=()
for n in $server_steps; do run_row "$n"; done
echo
echo "Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)."
