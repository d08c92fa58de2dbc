#!/usr/bin/env bash
# External timekeeping, measured on this machine in one run:
#  1. |external - true| over rounds of known length (busy waits on
#     CLOCK_MONOTONIC) marked through a time server on loopback: one in the
#     same process (a thread) and one in its own process (virtperf timeserver),
#     as p50, p99 and max; target p99 < 100 us.
#  2. Seed 002's experiment in small: i = 1..8 concurrent cpu-gzip instances
#     on this machine, their clocks slowed to 0.5x by libfaketime, each
#     marking its rounds to one time server that runs on the real clock:
#     internal vs external elapsed side by side.
# No common benchmark tool times rounds externally (seed 002 used the daytime
# port, whole seconds); the peer of the internal figure is the external one.
# Prints a markdown table; bench/results/timing.md keeps the committed one.
#
# usage: bench/timing.sh [ROUNDS] [LENGTH] [MAX_INSTANCES]   (default 1000 10ms 8)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-1000}
length=${2:-10ms}
maxi=${3:-8}
vp=${VIRTPERF:-$PWD/build/src/virtperf}
[[ -x $vp ]] || { echo "build first: make" >&2; exit 1; }
command -v jq >/dev/null || { echo "missing jq: scripts/install-deps" >&2; exit 1; }
faketime=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[[ -r $faketime ]] || { echo "missing faketime: scripts/install-deps" >&2; exit 1; }

work=$(mktemp -d /var/tmp/vp-bench-timing.XXXXXX)
ts_pid=
cleanup() {
    [[ -n $ts_pid ]] && kill "$ts_pid" 2>/dev/null && wait "$ts_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export VIRTPERF_STORE=$work/store.db
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"

"$vp" timeserver --listen 127.0.0.1:0 --key-file "$work/key" >"$work/ts.out" 2>"$work/ts.err" &
ts_pid=$!
for _ in $(seq 100); do
    addr=$(sed -n 's/^timeserver: listening on //p' "$work/ts.err")
    [[ -n $addr ]] && break
    sleep 0.05
done
[[ -n $addr ]] || { echo "time server did not start" >&2; exit 1; }

row() { # label calibrate-options...
    local label=$1
    shift
    "$vp" timing calibrate --rounds "$rounds" --length "$length" --json "$@" |
        jq -r --arg l "$label" '.start.rounds as $n | .end | "| \($l) | \($n) | \(.error_p50_us | . * 10 | round / 10) | \(.error_p99_us | . * 10 | round / 10) | \(.error_max_us | . * 10 | round / 10) | \(if .error_p99_us < 100 then "yes" else "no" end) |"'
}

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "## External timekeeping"
echo
echo "Machine: $(nproc) CPUs, $cpu, kernel $(uname -r); load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "### |external − true| over rounds of $length (μs)"
echo
echo "| time server | rounds | p50 | p99 | max | p99 < 100 μs |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
row "thread in the sender's process"
row "virtperf timeserver, own process" --timeserver "$addr" --key-file "$work/key"
echo
echo "### Seed 002 in small: i concurrent cpu-gzip (small preset) on $(nproc) CPUs, guest clocks at 0.5x"
echo
echo "Means over the instances of each one's mean of 3 rounds; 'expected' is external(1)·max(1, i/$(nproc))."
echo
echo "| i | internal (s) | external (s) | internal / external | expected external (s) | rounds flagged |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
base=
for i in $(seq 1 "$maxi"); do
    pids=()
    for k in $(seq 1 "$i"); do
        LD_PRELOAD=$faketime FAKETIME="+0 x0.5" "$vp" workload run cpu-gzip --preset small \
            --rounds 3 --warmup 0 --timeserver "$addr" --key-file "$work/key" \
            --appliance "i$i-$k" --json >"$work/run-$i-$k.json" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    line=$(jq -s '{int: (map(.end.summary.elapsed.mean) | add / length),
                   ext: (map(.end.summary.external_elapsed.mean) | add / length),
                   flagged: (map(.rounds[] | select(.clock_distorted)) | length),
                   total: (map(.rounds[]) | length)}' "$work"/run-"$i"-*.json)
    ext=$(jq .ext <<<"$line")
    [[ -n $base ]] || base=$ext
    jq -r --argjson i "$i" --argjson b "$base" --argjson p "$(nproc)" \
        '"| \($i) | \(.int * 1000 | round / 1000) | \(.ext * 1000 | round / 1000) | \(.int / .ext * 1000 | round / 1000) | \($b * ([1, $i / $p] | max) * 1000 | round / 1000) | \(.flagged)/\(.total) |"' <<<"$line"
done
kill "$ts_pid"
wait "$ts_pid" 2>/dev/null || true
ts_pid=
echo
echo "Time server counters: $(awk '{ print $1 " " $2 }' "$work/ts.out" | paste -sd, | sed 's/,/, /g')."
