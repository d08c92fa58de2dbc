#!/usr/bin/env bash
# `virtperf cleanup` without journals: cgroups made here by hand the way a
# run from before run ids made them (virtperf/<owner pid>/x, in the cpu mount
# and under this process's own memory cgroup, a sleeping task in them) whose
# owner is gone and that no journal lists are reported by --dry-run and left,
# then removed with the task killed; those of a live owner (this shell) stay,
# as do the virtperf directories; a dead run with a journal is left to the
# journal. The same for runs named by id: no journal and no live watcher
# (vpw-<id>) is an orphan.
# Runs alone (meson is_parallel false): any other `virtperf cleanup` would
# rightly sweep these orphans too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/journal_lib.sh"
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root for cgroups"; exit 77; }
cpu=/sys/fs/cgroup/cpu
[[ -d $cpu && $(stat -f -c %T $cpu) == cgroupfs ]] || { echo "SKIP: no cgroup v1 cpu mount"; exit 77; }
mem=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory:\(.*\)/\1/p' /proc/self/cgroup)
mem=${mem%/}

export VIRTPERF_RUNDIR=$work/run
mkdir -m 700 "$VIRTPERF_RUNDIR"
pids=()
dirs=()
cleanup() {
    local i
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do rmdir "${dirs[i]}" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

mk() { # DIR: make it and any missing parent, remembered for the trap
    [[ -d ${1%/*} ]] || mk "${1%/*}"
    mkdir "$1"
    dirs+=("$1")
}
dead_pid() { # a pid that was a process and is gone
    sh -c 'exit 0' &
    local p=$!
    wait "$p"
    [[ ! -e /proc/$p ]] || fail "pid $p still there"
    echo "$p"
}
sleeper() { # DIR...: a sleeping task in each of these cgroups; its pid in $sp
    sleep 300 &
    sp=$!
    pids+=("$sp")
    local d
    for d in "$@"; do echo "$sp" >"$d/cgroup.procs"; done
}
gone() { # PID: killed (a zombie of ours until reaped) or gone
    [[ ! -e /proc/$1 || $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]
}

# runs from before run ids: named by the owner's pid
dead=$(dead_pid)
alive=$$
journaled=$(dead_pid)
[[ $dead != "$journaled" ]] || journaled=$(dead_pid)
mk "$cpu/virtperf/$dead/x"
mk "$mem/virtperf/$dead/x"
sleeper "$cpu/virtperf/$dead/x" "$mem/virtperf/$dead/x"
orphan_task=$sp
mk "$cpu/virtperf/$alive/x"
sleeper "$cpu/virtperf/$alive/x"
alive_task=$sp
mk "$cpu/virtperf/$journaled/y"
{
    journal_line "virtperf-journal 2 $journaled 1 0"
    journal_line "+ 0 cgroup $cpu/virtperf/$journaled"
    journal_line "+ 1 cgroup $cpu/virtperf/$journaled/y"
} >"$VIRTPERF_RUNDIR/$journaled.journal"

expect_exit 0 "$VP" cleanup --dry-run
for d in "$cpu/virtperf/$dead/x" "$cpu/virtperf/$dead" "$mem/virtperf/$dead/x" "$mem/virtperf/$dead"; do
    grep -qxF "would remove cgroup $d (no journal)" "$work/out" || fail "dry run misses $d: $(cat "$work/out")"
done
grep -q "virtperf/$alive\b" "$work/out" && fail "dry run names the live run: $(cat "$work/out")"
grep -qxF "would remove cgroup $cpu/virtperf/$journaled/y" "$work/out" ||
    fail "dry run misses the journaled run: $(cat "$work/out")"
grep -q "virtperf/$journaled\b.*(no journal)" "$work/out" && fail "journaled run swept: $(cat "$work/out")"
[[ -d $cpu/virtperf/$dead/x && -d $mem/virtperf/$dead/x && -d $cpu/virtperf/$journaled/y ]] ||
    fail "--dry-run removed something"
gone "$orphan_task" && fail "--dry-run killed the task"

expect_exit 0 "$VP" cleanup --json
jq -e --arg c "$cpu/virtperf/$dead" --arg m "$mem/virtperf/$dead" --arg j "$cpu/virtperf/$journaled" '
    def ours: .what == $c or .what == $m or (.what | startswith($c + "/") or startswith($m + "/"));
    [.end.orphans[] | select(ours) | [.kind, .what, .result]] ==
        [["cgroup", $c + "/x", "removed"], ["cgroup", $c, "removed"],
         ["cgroup", $m + "/x", "removed"], ["cgroup", $m, "removed"]]
    and [.end.journals[].entries[].what] == [$j + "/y", $j]
    and .end.failed == 0' "$work/out" >/dev/null || fail "cleanup --json: $(cat "$work/out")"
for _ in $(seq 1 100); do gone "$orphan_task" && break; sleep 0.05; done
gone "$orphan_task" || fail "the orphan's task was not killed"
for d in "$cpu/virtperf/$dead" "$mem/virtperf/$dead" "$cpu/virtperf/$journaled"; do
    [[ ! -e $d ]] || fail "$d still there"
done
[[ -d $cpu/virtperf && -d $mem/virtperf ]] || fail "the virtperf directory itself was removed"
[[ -d $cpu/virtperf/$alive/x ]] || fail "the live run's cgroup was removed"
gone "$alive_task" && fail "the live run's task was killed"
grep -qx "$alive_task" "$cpu/virtperf/$alive/x/cgroup.procs" || fail "the live run's task left its cgroup"

expect_exit 0 "$VP" cleanup --json
# (another run's orphans on this host may be swept here; none is ours)
jq -e --arg d "$dead" --arg a "$alive" --arg j "$journaled" '
    [.end.orphans[].what | select(test("/virtperf/(" + $d + "|" + $a + "|" + $j + ")(/|$)"))] == []
    and .end.journals == []' "$work/out" >/dev/null || fail "second pass: $(cat "$work/out")"

# runs named by id (vp_journal_run): one with no journal and no watcher is an
# orphan; one whose watcher (vpw-<id>) lives, a run of another journal
# folder, is left alone
gone_id=n$(printf '%07d' $((RANDOM * 32768 + RANDOM)) | tail -c 7)
live_id=m$(printf '%07d' $((RANDOM * 32768 + RANDOM)) | tail -c 7)
cp /bin/sleep "$work/vpw-$live_id" # its name (comm) is the watcher's
"$work/vpw-$live_id" 300 &
pids+=($!)
mk "$cpu/virtperf/$gone_id/x"
sleeper "$cpu/virtperf/$gone_id/x"
gone_task=$sp
mk "$cpu/virtperf/$live_id/x"
expect_exit 0 "$VP" cleanup --json
jq -e --arg g "$cpu/virtperf/$gone_id" --arg l "$cpu/virtperf/$live_id" '
    [.end.orphans[] | select(.what | startswith($g) or startswith($l)) | [.what, .result]] ==
        [[$g + "/x", "removed"], [$g, "removed"]]' "$work/out" >/dev/null ||
    fail "runs by id: $(cat "$work/out")"
for _ in $(seq 1 100); do gone "$gone_task" && break; sleep 0.05; done
gone "$gone_task" || fail "the orphan's task (run $gone_id) was not killed"
[[ -d $cpu/virtperf/$live_id/x ]] || fail "the cgroup of run $live_id, whose watcher lives, was removed"
echo ok
