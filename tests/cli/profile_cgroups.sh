#!/usr/bin/env bash
# virtperf profile on cgroups this test makes (v1 cpu,cpuacct, or v2 when
# /sys/fs/cgroup is cgroup2): a CPU-bound appliance reads 100% of a core, an
# idle one about 0, a capped one (50 ms per 100 ms) is throttled, two pinned
# to one core read 50% each with run-queue wait growing every interval, and
# a cgroup that vanishes and comes back mid-run is picked up again.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root for cgroups"; exit 77; }

tag=vp-prof-test-$$
root=/sys/fs/cgroup
if [[ $(stat -f -c %T $root) == cgroup2fs ]]; then
    version=2
elif [[ -d $root/cpuacct && $(stat -f -c %T $root/cpuacct) == cgroupfs ]]; then
    version=1
else
    echo "SKIP: no cgroup v1 cpuacct or v2 hierarchy at $root"
    exit 77
fi
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

# The directories of cgroup NAME, one per controller (v1) or one (v2).
cg_dirs() {
    if [[ $version == 2 ]]; then
        echo "$root/$tag/$1"
    else
        local c
        for c in cpu cpuacct memory; do [[ -d $root/$c ]] && echo "$root/$c/$tag/$1"; done
    fi
}

mk_cgroup() { # NAME [QUOTA_US]: make it (with its parents), optionally capped
    local d
    if [[ $version == 2 && ! -d $root/$tag ]]; then
        echo +cpu >"$root/cgroup.subtree_control" || true
        mkdir "$root/$tag" && dirs+=("$root/$tag")
        echo +cpu >"$root/$tag/cgroup.subtree_control"
    fi
    for d in $(cg_dirs "$1"); do
        if [[ ! -d ${d%/*} ]]; then mkdir "${d%/*}" && dirs+=("${d%/*}"); fi
        # the test's group outweighs everything else on the machine, so its
        # busy tasks get their cores (or their share) on a shared host too;
        # the test never keeps both cores busy at once, the rest still runs
        [[ -f ${d%/*}/cpu.shares ]] && echo 262144 >"${d%/*}/cpu.shares"
        [[ -f ${d%/*}/cpu.weight ]] && echo 10000 >"${d%/*}/cpu.weight"
        [[ -d $d ]] || { mkdir "$d" && dirs+=("$d"); } # cpu,cpuacct may be one mount
    done
    if [[ -n ${2:-} ]]; then
        if [[ $version == 2 ]]; then
            echo "$2 100000" >"$root/$tag/$1/cpu.max"
        else
            echo 100000 >"$root/cpu/$tag/$1/cpu.cfs_period_us"
            echo "$2" >"$root/cpu/$tag/$1/cpu.cfs_quota_us"
        fi
    fi
}

# start NAME CPUS CMD...: run CMD inside cgroup NAME (pinned to CPUS unless
# "-"); its pid is appended to pids and left in $started.
start() {
    local name=$1 cpus=$2
    shift 2
    local procs
    procs=$(for d in $(cg_dirs "$name"); do printf '%s/cgroup.procs ' "$d"; done)
    local pin=()
    [[ $cpus == - ]] || pin=(taskset -c "$cpus")
    # shellcheck disable=SC2016
    "${pin[@]}" bash -c 'for f in '"$procs"'; do echo $$ >"$f"; done; exec "$@"' _ "$@" &
    started=$!
    pids+=("$started")
}

busy=(bash -c 'while :; do :; done')
mean() { # FILE TARGET METRIC
    jq -r --arg t "$2" --arg m "$3" \
        '.series[] | select(.target == $t and .metric == $m) | .mean' "$1"
}
within() { # VALUE LO HI WHAT
    awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }' ||
        fail "$4 = ${1:-missing}, expected in [$2, $3]"
}

# Phase 1: busy, idle and capped appliances, with store and CSV output.
mk_cgroup busy
mk_cgroup idle
mk_cgroup capped 50000
# one core each, so balancing around the throttled one does not matter
start busy 0 "${busy[@]}"
start idle - sleep 60
start capped 1 "${busy[@]}"
sleep 0.3
expect_exit 0 "$VP" profile --appliance "busy=/$tag/busy" --appliance "idle=/$tag/idle" \
    --cgroup "/$tag/capped" --duration 2s --interval 100ms --json \
    --store "$work/p.db" --csv "$work/p.csv"
cp "$work/out" "$work/p1.json"
[[ -z ${VP_TEST_DEBUG:-} ]] || jq -c ".series[] | select(.target != \"host\")" "$work/p1.json" >&2
idle_host=$(jq '[.series[] | select(.target | startswith("host/cpu")) |
    select(.metric == "cpu.idle") | .mean] | add' "$work/p1.json")
within "$(mean "$work/p1.json" busy cpu.total)" 0.95 1.05 \
    "busy cpu.total (host idle meanwhile: $idle_host cores; rerun on a quiet host if ~0)"
within "$(mean "$work/p1.json" idle cpu.total)" 0 0.01 "idle cpu.total"
within "$(mean "$work/p1.json" capped cpu.total)" 0.45 0.55 "capped cpu.total"
within "$(mean "$work/p1.json" capped cpu.throttled_periods)" 5 11 "capped throttled periods/s"
within "$(mean "$work/p1.json" capped cpu.throttled_s)" 0.1 1 "capped throttled s/s"
within "$(mean "$work/p1.json" busy cpu.throttled_periods)" 0 0 "busy throttled periods/s"
jq -e '.end.samples >= 20 and .end.profiler_cpu_percent < 5 and .error == null' \
    "$work/p1.json" >/dev/null || fail "end section: $(jq -c .end "$work/p1.json")"
# the store: one profile, complete, one row per rated series and sample
[[ $(sqlite3 "$work/p.db" "SELECT status FROM profiles") == complete ]] || fail "profile row"
n=$(sqlite3 "$work/p.db" "SELECT count(*) FROM profile_samples WHERE target = 'busy' AND \
    metric = 'cpu.total'")
within "$n" 19 21 "stored busy cpu.total rows"
avg=$(sqlite3 "$work/p.db" "SELECT avg(value) FROM profile_samples WHERE target = 'busy' AND \
    metric = 'cpu.total'")
within "$avg" 0.95 1.05 "stored busy cpu.total average"
head -1 "$work/p.csv" | grep -qx 't_s,target,metric,value' || fail "CSV header"
grep -c ',busy,cpu.total,' "$work/p.csv" | { read -r c; within "$c" 19 21 "CSV busy rows"; }

for p in "${pids[@]}"; do kill -9 "$p"; wait "$p" 2>/dev/null || true; done
pids=()

# Phase 2: two appliances pinned to one core; one that vanishes and returns.
mk_cgroup pin_a
mk_cgroup pin_b
mk_cgroup ephemeral
start pin_a 1 "${busy[@]}"
pa=$started
start pin_b 1 "${busy[@]}"
start ephemeral - sleep 60
eph=$started
sleep 0.3
"$VP" profile --appliance "pin_a=/$tag/pin_a" --appliance "pin_b=/$tag/pin_b" \
    --pid "pin_a=$pa" --appliance "ephemeral=/$tag/ephemeral" --duration 2s \
    --interval 100ms --json --csv "$work/p2.csv" >"$work/p2.json" 2>"$work/p2.err" &
prof=$!
pids+=("$prof")
sleep 0.6
kill -9 "$eph"
wait "$eph" 2>/dev/null || true
for d in $(cg_dirs ephemeral); do rmdir "$d"; done # gone for a while
sleep 0.4
for d in $(cg_dirs ephemeral); do mkdir "$d"; done # back, busy for 0.5 s
# on the other core: a third task on core 1 would add to pin_a's run-queue wait
start ephemeral 0 timeout 0.5 "${busy[@]}"
wait "$prof" || fail "profile exited $?: $(cat "$work/p2.err")"
within "$(mean "$work/p2.json" pin_a cpu.total)" 0.45 0.55 "pin_a cpu.total"
within "$(mean "$work/p2.json" pin_b cpu.total)" 0.45 0.55 "pin_b cpu.total"
within "$(mean "$work/p2.json" pin_a runq_wait)" 0.4 0.6 "pin_a run-queue wait s/s"
# run-queue wait grows in every interval (the mean above says by how much;
# wait is charged when a task gets the core back, so one interval may hold
# less than its share)
low=$(awk -F, '$2 == "pin_a" && $3 == "runq_wait" && $4 < 0.02' "$work/p2.csv" | wc -l)
rows=$(awk -F, '$2 == "pin_a" && $3 == "runq_wait"' "$work/p2.csv" | wc -l)
[[ $rows -ge 15 && $low -eq 0 ]] || {
    grep ",pin_a,runq_wait," "$work/p2.csv" >&2
    fail "run-queue wait: $low of $rows intervals below 0.02 s/s"
}
max=$(jq -r '.series[] | select(.target == "ephemeral" and .metric == "cpu.total") | .max' \
    "$work/p2.json")
within "$max" 0.5 1.1 "ephemeral cpu.total after it came back"

# Phase 3, on a v1 host with a cgroup2 mount beside (hybrid): the v2 files
# are read when the path names the cgroup2 hierarchy.
u=$root/unified
if [[ $version == 1 && -d $u && $(stat -f -c %T "$u") == cgroup2fs ]]; then
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    pids=()
    mkdir "$u/$tag" && dirs+=("$u/$tag")
    procs="$u/$tag/cgroup.procs $(for d in $(cg_dirs busy); do printf '%s/cgroup.procs ' "$d"; done)"
    # shellcheck disable=SC2016
    taskset -c 0 bash -c 'for f in '"$procs"'; do echo $$ >"$f"; done; exec "$@"' _ "${busy[@]}" &
    pids+=($!)
    sleep 0.3
    expect_exit 0 "$VP" profile --no-cores --appliance "v2=$u/$tag" --duration 1s \
        --interval 100ms --json
    within "$(mean "$work/out" v2 cpu.total)" 0.95 1.05 "v2 cpu.total"
    within "$(mean "$work/out" v2 cpu.user)" 0.9 1.05 "v2 cpu.user"
fi

# Phase 4, v1 blkio: the bytes a direct write puts on the disk. (This kernel
# keeps blkio.throttle.* counts only for a device with a limit set, so the
# test sets one far above what it writes.)
dev=$(findmnt -no SOURCE -T "$work" 2>/dev/null || true)
if [[ $version == 1 && -d $root/blkio && -b $dev ]]; then
    parent=$(lsblk -no PKNAME "$dev" | head -1)
    mm=$(lsblk -ndo MAJ:MIN "/dev/${parent:-${dev#/dev/}}" | tr -d ' ')
    mk_cgroup disk
    b=$root/blkio/$tag
    [[ -d $b ]] || { mkdir "$b" && dirs+=("$b"); }
    mkdir "$b/disk" && dirs+=("$b/disk")
    echo "$mm 100000000000" >"$b/disk/blkio.throttle.write_bps_device"
    "$VP" profile --no-cores --appliance "disk=/$tag/disk" --duration 1500ms \
        --interval 100ms --json >"$work/d.json" 2>"$work/d.err" &
    prof=$!
    pids+=("$prof")
    sleep 0.3
    procs="$b/disk/cgroup.procs $(for d in $(cg_dirs disk); do printf '%s/cgroup.procs ' "$d"; done)"
    # shellcheck disable=SC2016
    bash -c 'for f in '"$procs"'; do echo $$ >"$f"; done; exec "$@"' _ \
        dd if=/dev/zero of="$work/disk.bin" bs=1M count=8 oflag=direct status=none ||
        fail "dd failed"
    wait "$prof" || fail "profile exited $?: $(cat "$work/d.err")"
    got=$(jq -r '.series[] | select(.target == "disk" and .metric == "io.write_bytes") | .total' \
        "$work/d.json")
    [[ $got == 8388608 ]] || fail "disk io.write_bytes total ${got:-missing}, wrote 8388608"
    ops=$(jq -r '.series[] | select(.target == "disk" and .metric == "io.write_ops") | .total' \
        "$work/d.json")
    within "$ops" 1 100000 "disk io.write_ops"
    rm -f "$work/disk.bin"
fi
echo ok
