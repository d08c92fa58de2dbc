#!/usr/bin/env bash
# virtperf profile on cgroups this test makes (v1 cpu,cpuacct, or v2 when
# /sys/fs/cgroup is cgroup2): a CPU-bound appliance reads a whole core, an
# idle one about 0, a capped one (50 ms per 100 ms) half a core and is
# throttled, two pinned to one core share it half and half with run-queue
# wait growing every interval, and a cgroup that vanishes and comes back
# mid-run is picked up again.
#
# What the profiler reads is checked against the kernel's own account of
# each process over the same run (/proc/PID/schedstat: time on a CPU and
# time waiting for one), so the check holds however loaded the host is.
# Whether the host let the expected shares happen at all (a busy loop
# getting its whole core) is judged from that account too: when another
# task took the core, the expectation is not judged and the test ends as
# skipped (exit 77) naming it.
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
# "-"); its pid is appended to pids and left in $started. CMD waits at the
# gate: it runs only once every process of the phase is in its cgroups and
# pinned (open_gate), so no busy loop ever runs where it should not — a
# task still in the root group next to a busy loop can starve for seconds.
gate=
start() {
    local name=$1 cpus=$2
    shift 2
    local procs
    procs=$(for d in $(cg_dirs "$name"); do printf '%s/cgroup.procs ' "$d"; done)
    # shellcheck disable=SC2016
    bash -c 'for f in '"$procs"'; do echo $$ >"$f"; done
             [[ $1 == - ]] || taskset -pc "$1" $$ >/dev/null
             while [[ ! -e $2 ]]; do sleep 0.01; done
             exec "${@:3}"' _ "$cpus" "$gate" "$@" &
    started=$!
    pids+=("$started")
    gated+=("$started:$name:$cpus")
}

# open_gate: once every process started since the last gate is in all its
# cgroups and has its affinity, let them all run.
open_gate() {
    local g pid name cpus d
    for g in "${gated[@]}"; do
        IFS=: read -r pid name cpus <<<"$g"
        for _ in $(seq 200); do
            local ready=1
            for d in $(cg_dirs "$name"); do grep -qx "$pid" "$d/cgroup.procs" || ready=0; done
            [[ $cpus == - || $(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$pid/status") == "$cpus" ]] ||
                ready=0
            [[ $ready == 1 ]] && break
            sleep 0.01
        done
        [[ $ready == 1 ]] || fail "$name (pid $pid) did not get into its cgroups and affinity"
    done
    touch "$gate"
    gated=()
    next_gate
}
next_gate() {
    gate=$work/gate.$((${gate##*.} + 1))
}
gated=()
gate=$work/gate.0

# The kernel's account of processes over a stretch of the test: time on a
# CPU and waiting for one, per second of it (/proc/PID/schedstat).
#   account_begin PID...   account_end PID...   then account PID cpu|wait
# Each reading is stamped before and after (builtins only, no fork): on a
# loaded host the shell itself may wait for a CPU between the two, and
# that spread, over the window, is how unsure the rates are (acct_unsure).
read_account() { # PHASE PID...
    local phase=$1 p a b
    shift
    a=${EPOCHREALTIME/./}
    for p in "$@"; do read -r "acct_cpu${phase}_$p" "acct_wait${phase}_$p" _ <"/proc/$p/schedstat"; done
    b=${EPOCHREALTIME/./}
    printf -v "acct_t$phase" %s $(((a + b) / 2))  # microseconds
    printf -v "acct_spread$phase" %s $((b - a))
}
account_begin() {
    read_account 0 "$@"
}
account_end() {
    local p window
    read_account 1 "$@"
    window=$(((acct_t1 - acct_t0) * 1000)) # ns
    acct_window_s=$(echo "$window / 1000000000" | bc -l)
    acct_unsure=$(echo "($acct_spread0 + $acct_spread1) * 1000 / $window" | bc -l)
    for p in "$@"; do
        local c0=acct_cpu0_$p c1=acct_cpu1_$p w0=acct_wait0_$p w1=acct_wait1_$p
        printf -v "acct_cpu_$p" %s "$(echo "(${!c1} - ${!c0}) / $window" | bc -l)"
        printf -v "acct_wait_$p" %s "$(echo "(${!w1} - ${!w0}) / $window" | bc -l)"
    done
}
account() { # PID cpu|wait
    local v=acct_$2_$1
    echo "${!v}"
}

# in_cgroup NAME CMD...: run CMD in cgroup NAME (unpinned, ungated). The
# profiler runs in one of the test's groups too: on a loaded host it must
# get the CPU to take its samples, or it measures its own starvation.
in_cgroup() {
    local procs
    procs=$(for d in $(cg_dirs "$1"); do printf '%s/cgroup.procs ' "$d"; done)
    shift
    # shellcheck disable=SC2016
    bash -c 'for f in '"$procs"'; do echo $$ >"$f"; done; exec "$@"' _ "$@"
}
mk_cgroup profiler

busy=(bash -c 'while :; do :; done')
mean() { # FILE TARGET METRIC: the first such series (pin_a has a cgroup's and a pid's)
    jq -r --arg t "$2" --arg m "$3" \
        '[.end.series[] | select(.target == $t and .metric == $m)][0].mean // empty' "$1"
}
within() { # VALUE LO HI WHAT
    awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }' ||
        fail "$4 = ${1:-missing}, expected in [$2, $3]"
}
below() { # VALUE LIMIT: true when VALUE < LIMIT
    awk -v v="$1" -v l="$2" 'BEGIN { exit !(v < l) }'
}
# agrees VALUE REFERENCE WHAT: the profiler's figure (from the run whose
# JSON is $prof_json) matches the kernel's account. The account's window
# holds the profiler's (its end.elapsed_s) and a little more: its start and
# exit, longer on a loaded host. Over the part outside, a loop's rate may
# have been anything from 0 to 1, so the two differ by at most that part
# of the window; plus how unsure the account's own stamps are, plus 0.02
# for the sampling itself (a 100 ms tick that comes late).
agrees() {
    local margin lo hi outside
    outside=$(jq -r --argjson w "$acct_window_s" \
        '($w - .end.elapsed_s) / $w | if . < 0 then 0 else . end' "$prof_json")
    margin=$(echo "0.02 + $acct_unsure + $outside" | bc -l)
    lo=$(echo "$2 - $margin" | bc -l)
    hi=$(echo "$2 + $margin" | bc -l)
    within "$1" "$lo" "$hi" "$3 (the kernel's own account: $2 ± $margin)"
}

# Phase 1: busy, idle and capped appliances, with store and CSV output.
mk_cgroup busy
mk_cgroup idle
mk_cgroup capped 50000
# one core each, so balancing around the throttled one does not matter
start busy 0 "${busy[@]}"
pb=$started
start idle - sleep 60
start capped 1 "${busy[@]}"
pc=$started
open_gate
sleep 0.3
account_begin "$pb" "$pc"
expect_exit 0 in_cgroup profiler "$VP" profile --appliance "busy=/$tag/busy" --appliance "idle=/$tag/idle" \
    --cgroup "/$tag/capped" --duration 2s --interval 100ms --json \
    --store "$work/p.db" --csv "$work/p.csv"
account_end "$pb" "$pc"
cp "$work/out" "$work/p1.json"
prof_json=$work/p1.json
[[ -z ${VP_TEST_DEBUG:-} ]] || jq -c ".end.series[] | select(.target != \"host\")" "$work/p1.json" >&2
agrees "$(mean "$work/p1.json" busy cpu.total)" "$(account "$pb" cpu)" "busy cpu.total"
agrees "$(mean "$work/p1.json" capped cpu.total)" "$(account "$pc" cpu)" "capped cpu.total"
within "$(mean "$work/p1.json" idle cpu.total)" 0 0.01 "idle cpu.total"
within "$(mean "$work/p1.json" busy cpu.throttled_periods)" 0 0 "busy throttled periods/s"
# a busy loop alone on its core gets all of it, a capped one half of a core
# (the quota is a ceiling: only another task on core 1 can hold it below)
if below "$(account "$pb" cpu)" 0.95; then
    skip_judgement "the busy loop got $(account "$pb" cpu) of core 0"
else
    within "$(mean "$work/p1.json" busy cpu.total)" 0.95 1.05 "busy cpu.total"
fi
if below "$(account "$pc" cpu)" 0.45; then
    skip_judgement "the capped loop got $(account "$pc" cpu) of core 1, less than its cap"
else
    within "$(mean "$work/p1.json" capped cpu.total)" 0.45 0.55 "capped cpu.total"
    within "$(mean "$work/p1.json" capped cpu.throttled_periods)" 5 11 "capped throttled periods/s"
    within "$(mean "$work/p1.json" capped cpu.throttled_s)" 0.1 1 "capped throttled s/s"
fi
jq -e '.end.samples >= 20 and .end.profiler_cpu_percent < 5 and .error == null' \
    "$work/p1.json" >/dev/null || fail "end section: $(jq -c .end "$work/p1.json")"
# the store: one profile, complete, one row per rated series and sample,
# the same figures as the JSON
[[ $(sqlite3 "$work/p.db" "SELECT status FROM profiles") == complete ]] || fail "profile row"
n=$(sqlite3 "$work/p.db" "SELECT count(*) FROM profile_samples WHERE target = 'busy' AND \
    metric = 'cpu.total'")
within "$n" 19 21 "stored busy cpu.total rows"
# each stored sample is the rate since the one before: weighted by that
avg=$(sqlite3 "$work/p.db" "SELECT sum(value * dt) / sum(dt) FROM (SELECT value,
    coalesce(t_s - lag(t_s) OVER (ORDER BY t_s), t_s) AS dt FROM profile_samples
    WHERE target = 'busy' AND metric = 'cpu.total')")
json_mean=$(mean "$work/p1.json" busy cpu.total)
within "$avg" "$(echo "$json_mean - 0.005" | bc -l)" "$(echo "$json_mean + 0.005" | bc -l)" \
    "stored busy cpu.total, time-weighted, vs the JSON's mean"
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
pb=$started
start ephemeral - sleep 60
eph=$started
open_gate
sleep 0.3
account_begin "$pa" "$pb"
in_cgroup profiler "$VP" profile --appliance "pin_a=/$tag/pin_a" --appliance "pin_b=/$tag/pin_b" \
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
open_gate
wait "$prof" || fail "profile exited $?: $(cat "$work/p2.err")"
account_end "$pa" "$pb"
prof_json=$work/p2.json
a=$(mean "$work/p2.json" pin_a cpu.total)
b=$(mean "$work/p2.json" pin_b cpu.total)
agrees "$a" "$(account "$pa" cpu)" "pin_a cpu.total"
agrees "$b" "$(account "$pb" cpu)" "pin_b cpu.total"
agrees "$(mean "$work/p2.json" pin_a runq_wait)" "$(account "$pa" wait)" "pin_a run-queue wait s/s"
# one core between them: never more than it, and equal weights split it evenly
within "$(echo "$a + $b" | bc -l)" 0 1.03 "pin_a + pin_b cpu.total (one core)"
within "$(echo "$a / ($a + $b)" | bc -l)" 0.45 0.55 "pin_a's part of the pair's core"
pair=$(echo "$(account "$pa" cpu) + $(account "$pb" cpu)" | bc -l)
if below "$pair" 0.9; then
    skip_judgement "the pinned pair got $pair of core 1"
else
    within "$a" 0.45 0.55 "pin_a cpu.total"
    within "$b" 0.45 0.55 "pin_b cpu.total"
    # pin_a waits while pin_b runs
    within "$(mean "$work/p2.json" pin_a runq_wait)" 0.4 0.6 "pin_a run-queue wait s/s"
fi
# run-queue wait grows all along, not in a burst: wait is charged when a
# task gets the core back, and a task may wait through a whole 100 ms
# interval (seen here: 0, then 1.06 s/s in the next), so every window of
# three intervals (300 ms, in which neither of two equal tasks keeps the
# core) holds some of it
low=$(awk -F, '$2 == "pin_a" && $3 == "runq_wait" {
        w[n++] = $4; if (n >= 3 && w[n - 1] + w[n - 2] + w[n - 3] < 0.06) low++ }
    END { print low + 0 }' "$work/p2.csv")
rows=$(awk -F, '$2 == "pin_a" && $3 == "runq_wait"' "$work/p2.csv" | wc -l)
[[ $rows -ge 15 && $low -eq 0 ]] || {
    grep ",pin_a,runq_wait," "$work/p2.csv" >&2
    fail "run-queue wait: $low of $rows windows of 3 intervals below 0.02 s/s"
}
max=$(jq -r '.end.series[] | select(.target == "ephemeral" and .metric == "cpu.total") | .max' \
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
    pv=$!
    pids+=("$pv")
    sleep 0.3
    account_begin "$pv"
    expect_exit 0 in_cgroup profiler "$VP" profile --no-cores --appliance "v2=$u/$tag" --duration 2s \
        --interval 100ms --json
    account_end "$pv"
    prof_json=$work/out
    agrees "$(mean "$work/out" v2 cpu.total)" "$(account "$pv" cpu)" "v2 cpu.total"
    # a busy loop's time is user time
    user_share=$(echo "$(mean "$work/out" v2 cpu.user) / $(mean "$work/out" v2 cpu.total)" | bc -l)
    within "$user_share" 0.9 1.01 "v2 cpu.user / cpu.total"
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
    got=$(jq -r '.end.series[] | select(.target == "disk" and .metric == "io.write_bytes") | .total' \
        "$work/d.json")
    [[ $got == 8388608 ]] || fail "disk io.write_bytes total ${got:-missing}, wrote 8388608"
    ops=$(jq -r '.end.series[] | select(.target == "disk" and .metric == "io.write_ops") | .total' \
        "$work/d.json")
    within "$ops" 1 100000 "disk io.write_ops"
    rm -f "$work/disk.bin"
fi
end_test
