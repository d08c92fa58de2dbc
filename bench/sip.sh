#!/usr/bin/env bash
# SIP beside SIPp, in one run on this machine:
#  1. CPU seconds per call of `virtperf sip-uac` and of `sipp -sn uac` placing
#     RATE calls/s for DURATION against the same UAS (virtperf sip-uas, 2
#     threads); CPU is the generator process's user + system time.
#  2. The highest clean calls/s of `virtperf sip-uas` and of `sipp -sn uas`,
#     each pinned to one core (taskset -c 1), found by `virtperf sip-capacity`
#     (pinned to core 0) with its default criteria: failed <= 1%,
#     retransmissions <= 5%, p95 INVITE->200 <= 50 ms.
# Prints a markdown table; bench/results/sip.md keeps the committed one.
#
# usage: bench/sip.sh [RATE] [DURATION_S] [REPEATS] [all|cpu]   (default 2000 10 3 all)
set -euo pipefail
cd "$(dirname "$0")/.."

rate=${1:-2000}
duration=${2:-10}
repeats=${3:-3}
parts=${4:-all}
vp=${VIRTPERF:-./build/src/virtperf}
[[ -x $vp ]] || { echo "build first: make" >&2; exit 1; }
for tool in sipp jq taskset python3; do
    command -v $tool >/dev/null || { echo "missing $tool: scripts/install-deps" >&2; exit 1; }
done
work=$(mktemp -d /var/tmp/vp-bench-sip.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
export VIRTPERF_STORE=$work/store.db
free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_udp() {
    for _ in $(seq 50); do
        ss -Hlun "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    echo "nothing listens on $1" >&2
    exit 1
}
# cpu_of CMD...: run it; print "user+sys seconds" of it and its children
cpu_of() {
    local t0 t1 me=$BASHPID
    t0=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$me/stat")
    "$@" >"$work/cpu_cmd.out" 2>&1 || true
    # children's times are in the shell's cutime/cstime once reaped
    t1=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$me/stat")
    echo "scale=4; ($t1 - $t0) / $(getconf CLK_TCK)" | bc -l
}

calls=$((rate * duration))
# 1. generator CPU per call against the same UAS
uas_port=$(free_port)
"$vp" sip-uas --listen "127.0.0.1:$uas_port" --threads 2 >/dev/null 2>&1 &
pids+=($!)
wait_udp "$uas_port"
vp_cpu=$(cpu_of "$vp" sip-uac --target "127.0.0.1:$uas_port" --rate "$rate" --duration "${duration}s" --json)
cp "$work/cpu_cmd.out" "$work/vp_uac.json"
vp_ok=$(jq .end.successful "$work/vp_uac.json")
vp1_cpu=$(cpu_of "$vp" sip-uac --target "127.0.0.1:$uas_port" --rate "$rate" --duration "${duration}s" --tick 1ms --json)
cp "$work/cpu_cmd.out" "$work/vp_uac1.json"
vp1_ok=$(jq .end.successful "$work/vp_uac1.json")
vp_tick=$(jq .end.self_check.tick_ms "$work/vp_uac.json")
vp_late=$(jq -r '.end.self_check | "\(.lateness_p50_us | round)/\(.lateness_p99_us | round)"' "$work/vp_uac.json")
vp1_late=$(jq -r '.end.self_check | "\(.lateness_p50_us | round)/\(.lateness_p99_us | round)"' "$work/vp_uac1.json")
sipp_cpu=$(cpu_of sipp -sn uac "127.0.0.1:$uas_port" -i 127.0.0.1 -p "$(free_port)" -r "$rate" \
    -m "$calls" -nostdin -timeout $((duration + 30))s -trace_stat -stf "$work/sipp_uac.csv")
sipp_ok=$(tail -1 "$work/sipp_uac.csv" | awk -F';' '{print $16}')
vp_per=$(echo "scale=2; $vp_cpu * 1000000 / $vp_ok" | bc -l)
sipp_per=$(echo "scale=2; $sipp_cpu * 1000000 / $sipp_ok" | bc -l)
ratio1=$(echo "scale=3; $vp_per / $sipp_per" | bc -l)
vp1_per=$(echo "scale=2; $vp1_cpu * 1000000 / $vp1_ok" | bc -l)
ratio1b=$(echo "scale=3; $vp1_per / $sipp_per" | bc -l)
kill "${pids[@]}"
wait "${pids[@]}" 2>/dev/null || true
pids=()

# 2. server capacity on one pinned core
vp_cap="not run" sipp_cap="not run" ratio2="-"
capacity() { # port
    taskset -c 0 "$vp" sip-capacity --target "127.0.0.1:$1" --repeats "$repeats" --step 3s \
        --settle 1s --start 1000 --max 60000 --json 2>"$work/cap.log" |
        jq -r '.end | "\(.max_rate_mean | round) (95% CI \(.ci95_lo | round)..\(.ci95_hi | round))\(if .generator_limited then ", generator-limited" else "" end)"'
}
if [[ $parts == all ]]; then
port=$(free_port)
taskset -c 1 "$vp" sip-uas --listen "127.0.0.1:$port" --threads 1 >/dev/null 2>&1 &
pids+=($!)
wait_udp "$port"
vp_cap=$(capacity "$port")
cp "$work/cap.log" "$work/cap_vp.log"
kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=()
port=$(free_port)
taskset -c 1 sipp -sn uas -i 127.0.0.1 -p "$port" -nostdin >/dev/null 2>&1 &
pids+=($!)
wait_udp "$port"
sipp_cap=$(capacity "$port")
kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=()
ratio2=$(echo "scale=2; ${vp_cap%% *} / ${sipp_cap%% *}" | bc -l)
fi

cat <<EOT
# SIP: virtperf beside SIPp

Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r); $(date -u +%Y-%m-%d).
Command: \`bench/sip.sh $rate $duration $repeats\`

| measurement | virtperf | SIPp | virtperf / SIPp | target |
| --- | --- | --- | --- | --- |
| generator CPU per call at $rate calls/s for $duration s (µs), default tick ($vp_tick ms; start lateness p50/p99 $vp_late µs) | $vp_per ($vp_ok calls) | $sipp_per ($sipp_ok calls) | $ratio1 | ≤ 0.333 |
| same with \`--tick 1ms\` (start lateness p50/p99 $vp1_late µs) | $vp1_per ($vp1_ok calls) | $sipp_per | $ratio1b | ≤ 0.333 |
| highest clean calls/s of the UAS on one pinned core | $vp_cap | $sipp_cap | $ratio2 | ≥ 2 |

CPU is the generator process's user + system time (/proc), store writes included.
Clean: failed ≤ 1%, retransmissions ≤ 5% of calls, p95 INVITE→200 ≤ 50 ms
(\`virtperf sip-capacity\` defaults; steps of 3 s, $repeats searches, mean with 95% CI).
EOT
