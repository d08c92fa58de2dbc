#!/usr/bin/env bash
# The host profiler's own cost beside pidstat, in one run on this machine:
# 50 appliances (50 cgroups, each holding one process; half sleep, half wake
# every 20 ms for a little work), profiled by `virtperf profile` at 10 Hz
# (cgroup + process of each appliance, plus per-core /proc/stat) and at 1 Hz,
# and by `pidstat -u -w` over the same 50 processes at its finest interval,
# 1 s (pidstat takes whole seconds).
#
# CPU is measured the same way for every tool, from /proc: the run time of all
# of the tool's threads (/proc/PID/task/*/schedstat, ns) over the same window
# of W seconds, as % of one core. Lateness: virtperf reports its own (wake-up
# minus absolute deadline, per sample); pidstat's is taken from outside, as
# each report's arrival (line-buffered) minus the first report's arrival plus
# k whole intervals, i.e. its lateness and drift against an ideal schedule.
#
# usage: bench/profiler.sh [SECONDS]   (default 20; needs root for cgroups)
set -euo pipefail
cd "$(dirname "$0")/.."

window=${1:-20}
vp=${VIRTPERF:-./build/src/virtperf}
[[ -x $vp ]] || { echo "build first: make" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (cgroups)" >&2; exit 1; }
for tool in pidstat jq stdbuf awk; do
    command -v $tool >/dev/null || { echo "missing $tool: scripts/install-deps" >&2; exit 1; }
done

n=50
tag=vp-bench-prof-$$
root=/sys/fs/cgroup
work=$(mktemp -d /var/tmp/vp-bench-prof.XXXXXX)
pids=()
dirs=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    local i
    for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do rmdir "${dirs[i]}" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

if [[ $(stat -f -c %T $root) == cgroup2fs ]]; then
    ctrl_dirs=("$root")
else
    ctrl_dirs=()
    for c in cpu cpuacct memory blkio; do [[ -d $root/$c ]] && ctrl_dirs+=("$root/$c"); done
fi
for c in "${ctrl_dirs[@]}"; do mkdir "$c/$tag" && dirs+=("$c/$tag"); done

mkfifo "$work/never"
cg_targets=()
pid_targets=()
app_pids=()
for i in $(seq 1 $n); do
    procs=
    for c in "${ctrl_dirs[@]}"; do
        [[ -d $c/$tag/a$i ]] || { mkdir "$c/$tag/a$i" && dirs+=("$c/$tag/a$i"); }
        procs+="$c/$tag/a$i/cgroup.procs "
    done
    if ((i % 2)); then
        work_cmd='exec sleep 3600'
    else # wake every 20 ms, count to 300, sleep again: lightly busy, no forks
        work_cmd='exec 3<>'"$work"'/never; while :; do read -t 0.02 -u 3 || true; for ((k = 0; k < 300; k++)); do :; done; done'
    fi
    # shellcheck disable=SC2016
    bash -c 'for f in '"$procs"'; do echo $$ >"$f"; done; '"$work_cmd" &
    pids+=($!)
    app_pids+=($!)
    cg_targets+=(--appliance "a$i=/$tag/a$i")
    pid_targets+=(--pid "a$i=$!")
done
sleep 1

# run time (ns) of all threads of a process, from /proc
cpu_ns() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}
# pct PID: CPU % of one core over the window, measured from outside
measure() {
    local pid=$1 a b
    sleep 2
    a=$(cpu_ns "$pid")
    sleep "$window"
    b=$(cpu_ns "$pid")
    awk -v a="$a" -v b="$b" -v w="$window" 'BEGIN { printf "%.3f", (b - a) / 1e9 / w * 100 }'
}

vp_run() { # INTERVAL TARGETS...: prints "cpu%|self cpu%|p50 ms|p99 ms|max ms|missed"
    local interval=$1
    shift
    "$vp" profile "$@" --interval "$interval" --duration "$((window + 4))s" --json \
        >"$work/vp.json" &
    local p=$!
    pids+=("$p")
    local pct
    pct=$(measure "$p")
    wait "$p"
    jq -r --arg pct "$pct" '.end | [$pct, (.profiler_cpu_percent * 1000 | round / 1000),
        (.lateness_p50_s * 1e3 | . * 1000 | round / 1000),
        (.lateness_p99_s * 1e3 | . * 1000 | round / 1000),
        (.lateness_max_s * 1e3 | . * 1000 | round / 1000), .missed] | join("|")' "$work/vp.json"
}

pidstat_run() {
    local list
    list=$(IFS=,; echo "${app_pids[*]}")
    # one report per second; -h puts each process on one line with a timestamp
    mkfifo "$work/pidstat.out"
    while IFS= read -r line; do
        [[ $line == \#* ]] && printf '%s\n' "$(date +%s.%N)"
    done <"$work/pidstat.out" >"$work/arrivals" &
    local reader=$!
    pids+=("$reader")
    stdbuf -oL pidstat -h -u -w -p "$list" 1 >"$work/pidstat.out" 2>/dev/null &
    local p=$!
    pids+=("$p")
    local pct
    pct=$(measure "$p")
    kill "$p"
    wait "$p" "$reader" 2>/dev/null || true
    local late
    late=$(awk 'NR == 1 { t0 = $1 } { d = ($1 - t0 - (NR - 1)) * 1000; if (d < 0) d = 0; print d }' \
        "$work/arrivals" | sort -n | awk '{ v[NR] = $1 } END {
            i50 = int(NR * 0.5); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
            printf "%.3f|%.3f|%.3f", v[i50], v[i99], v[NR] }')
    echo "$pct|n/a|$late|n/a"
}

fast_cg=$(vp_run 100ms "${cg_targets[@]}")
fast=$(vp_run 100ms "${cg_targets[@]}" "${pid_targets[@]}")
rt=$(vp_run 100ms --realtime "${cg_targets[@]}" "${pid_targets[@]}")
slow=$(vp_run 1s "${cg_targets[@]}" "${pid_targets[@]}")
peer=$(pidstat_run)

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "## virtperf profile beside pidstat: the profiler's own cost"
echo
echo "Machine: $(nproc) CPUs, $cpu, kernel $(uname -r), cgroup $(stat -f -c %T $root/cpuacct 2>/dev/null || stat -f -c %T $root)."
echo "$n appliances (a cgroup and a process each; half sleeping, half waking every 20 ms)."
echo "CPU: all threads' run time from /proc/PID/task/*/schedstat over the same ${window} s"
echo "window, % of one core. virtperf reads per sample: /proc/stat, each cgroup's"
echo "cpuacct.usage, cpuacct.stat, cpu.stat, memory.usage_in_bytes, blkio (2 files), each"
echo "process's stat, schedstat and status; pidstat -u -w reads each process's stat and status."
echo
echo "| tool | targets | interval | CPU % of one core (/proc) | self-reported % | lateness p50 ms | p99 ms | max ms | missed |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
echo "| virtperf profile | 50 cgroups + cores | 100 ms (10 Hz) | ${fast_cg//|/ | } |"
echo "| virtperf profile | 50 cgroups + 50 processes + cores | 100 ms (10 Hz) | ${fast//|/ | } |"
echo "| virtperf profile --realtime | 50 cgroups + 50 processes + cores | 100 ms (10 Hz) | ${rt//|/ | } |"
echo "| virtperf profile | 50 cgroups + 50 processes + cores | 1 s | ${slow//|/ | } |"
echo "| pidstat -u -w | 50 processes | 1 s (its finest) | ${peer//|/ | } |"
echo
echo "Load average while it ran (other work on the host): $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Targets: CPU ≤ 0.5% of one core at 10 Hz over 50 appliances; lateness p99 < 1 ms."
echo "pidstat's lateness is measured from outside (report arrival against an ideal 1 s"
echo "schedule from its first report), so it includes its drift; virtperf's is its own"
echo "wake-up time minus each absolute deadline."
