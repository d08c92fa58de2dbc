#!/usr/bin/env bash
# A journal you can trust (issue 18, item 1): `virtperf cleanup` acts on no
# line that is forged to name what virtperf does not make (/etc, a cgroup
# not virtperf/<run>, an interface not vp<run>..., a path through a symlink
# or with "..", a process older than the run), torn, or failing its
# checksum: each is one "refused" line, the journal is kept, exit 1, and
# nothing is touched; a genuine line beside them is acted on. The journal
# folder must be ours (not a symlink, our uid, not writable by others) or
# virtperf stops with one line, exit 2, having made nothing. A cleanup waits
# for the one holding the folder's lock, then says it is busy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/journal_lib.sh"

export VIRTPERF_RUNDIR=$work/run
mkdir -m 700 "$VIRTPERF_RUNDIR"
mkdir "$work/scratch" "$work/real"
ln -s "$work/real" "$work/link"
victims=()
victim() { # PATH: a folder a forged line names; it must stay
    mkdir -p "$1"
    victims+=("$1")
}
sleep 300 &
older=$! # a process older than the forged run
trap 'kill -9 $older 2>/dev/null || true; rmdir "${cg:-/nonexistent}" 2>/dev/null || true; rm -rf "$work"' EXIT

dead=$(sh -c 'echo $$') # a pid that is gone; the forged run's tag
start=$(($(start_time $$) + 100)) # the run "started" after $older
genuine=$work/scratch/virtperf-t.AbC123
mkdir "$genuine"
victim "$work/scratch/victim"
victim "$work/real/virtperf-s.XyZ789"
victim "$work/scratch/virtperf-u.QwE456"
touch "$work/scratch/victim.txt"
lines=(
    "+ 0 dir $genuine"
    "+ 1 dir /etc/vp-forged-$$"
    "+ 2 dir $work/scratch/victim"
    "+ 3 dir $work/link/virtperf-s.XyZ789"
    "+ 4 dir $work/scratch/virtperf-t.AbC123/../virtperf-u.QwE456"
    "+ 5 dir scratch/virtperf-u.QwE456"
    "+ 6 link eth0"
    "+ 7 link vp99999999r0"
    "+ 8 proc $older $(start_time $older)"
    "+ 9 cgroup /sys/fs/cgroup/cpu/virtperf-forged-$$"
    "+ 10 cgroup /sys/fs/cgroup/cpu/virtperf/1$dead"
    "+ 11 file $work/scratch/victim.txt"
)
if [[ $(id -u) -eq 0 && -d /sys/fs/cgroup/cpu ]]; then
    cg=/sys/fs/cgroup/cpu/virtperf-forged-$$ # old replays removed any ".../virtperf*"
    mkdir "$cg"
fi
{
    journal_line "virtperf-journal 2 $dead $start 0"
    for l in "${lines[@]}"; do journal_line "$l"; done
    printf '%s %s' "$(crc32_hex "+ 12 dir $work/scratch/virtperf-u.QwE456")" \
        "+ 12 dir $work/scratch/virtperf-u.QwE456" # torn: no terminator
} >"$VIRTPERF_RUNDIR/$dead.journal"

expect_exit 1 "$VP" cleanup --json
refused=$(jq '[.end.journals[].entries[] | select(.result == "refused")] | length' "$work/out")
[[ $refused -eq 12 ]] || fail "refused $refused of 12 forged lines: $(cat "$work/out")"
jq -e --arg g "$genuine" '[.end.journals[].entries[] | select(.result == "removed") | .what] == [$g]
    and ([.end.journals[].entries[] | select(.result == "refused" and .failure == false)] | length) == 1' \
    "$work/out" >/dev/null || fail "genuine line or torn line: $(cat "$work/out")"
[[ ! -e $genuine ]] || fail "the genuine scratch folder was not removed"
for v in "${victims[@]}" ${cg:+"$cg"}; do [[ -d $v ]] || fail "$v was removed"; done
[[ -f $work/scratch/victim.txt ]] || fail "a file outside the scratch folders was removed"
kill -0 "$older" || fail "a process older than the run was killed"
[[ -e $VIRTPERF_RUNDIR/$dead.journal ]] || fail "a journal with refused lines was not kept"
expect_exit 1 "$VP" cleanup
grep -q "^refused $VIRTPERF_RUNDIR/$dead.journal:[0-9]* /etc/vp-forged-$$: " "$work/out" ||
    fail "no one-line reason for /etc: $(cat "$work/out")"
grep -q "^refused .*:[0-9]* eth0: not a virtperf interface name" "$work/out" || fail "eth0: $(cat "$work/out")"
grep -q "^refused .*:14: not terminated" "$work/out" || fail "torn line: $(cat "$work/out")"

# a checksum that fails in the middle: nothing in that journal is acted on
rm "$VIRTPERF_RUNDIR/$dead.journal"
mkdir "$genuine"
{
    journal_line "virtperf-journal 2 $dead $start 0"
    journal_line "+ 0 dir $genuine"
    # its checksum's first digit changed, whatever it was (1 if it was 0, else 0)
    journal_line "+ 1 dir $work/scratch/virtperf-v.ZZZ999" | sed 's/^0/x/;s/^[1-9a-f]/0/;s/^x/1/'
} >"$VIRTPERF_RUNDIR/$dead.journal"
expect_exit 1 "$VP" cleanup
grep -q "^refused .*:3: checksum mismatch" "$work/out" || fail "bad checksum: $(cat "$work/out")"
grep -q "^refused .*:2 $genuine: in a damaged journal" "$work/out" || fail "damaged: $(cat "$work/out")"
[[ -d $genuine ]] || fail "a damaged journal was acted on"
rm "$VIRTPERF_RUNDIR/$dead.journal"

# a cleanup holding the folder's lock: a second waits, says busy, acts on nothing
{
    journal_line "virtperf-journal 2 $dead $start 0"
    journal_line "+ 0 dir $genuine"
} >"$VIRTPERF_RUNDIR/$dead.journal"
flock -x "$VIRTPERF_RUNDIR" sleep 6 &
holder=$!
# wait until the holder has the lock (a loaded machine may start it late)
for _ in $(seq 100); do
    flock -n -x "$VIRTPERF_RUNDIR" true || break
    sleep 0.05
done
expect_exit 1 "$VP" cleanup
expect_one_line_error "busy"
[[ -d $genuine ]] || fail "a cleanup acted while another held the lock"
wait "$holder"
# two at once: exactly one removes it
"$VP" cleanup >"$work/c1" 2>&1 &
c1=$!
"$VP" cleanup >"$work/c2" 2>&1 || true
wait "$c1" || true
[[ $(cat "$work/c1" "$work/c2" | grep -c "^removed dir $genuine$") -eq 1 ]] ||
    fail "two cleanups: $(cat "$work/c1" "$work/c2")"

# the journal folder must be ours: else one line, exit 2, nothing made
check_folder() { # WHAT: virtperf stops on $VIRTPERF_RUNDIR
    expect_exit 2 "$VP" workload run disk-files --preset small --rounds 1 --warmup 0 --dir "$work/scratch"
    expect_one_line_error "journal folder"
    [[ -z $(ls -A "$work/scratch") ]] || fail "$1: made $(ls "$work/scratch")"
    expect_exit 2 "$VP" cleanup
    expect_one_line_error "journal folder"
}
rm -rf "$work/scratch"/* "$VIRTPERF_RUNDIR"
mkdir -m 777 "$VIRTPERF_RUNDIR"
chmod 777 "$VIRTPERF_RUNDIR"
check_folder "mode 0777"
rmdir "$VIRTPERF_RUNDIR"
mkdir -m 700 "$work/elsewhere"
ln -s "$work/elsewhere" "$VIRTPERF_RUNDIR"
check_folder "a symlink"
rm "$VIRTPERF_RUNDIR"
if [[ $(id -u) -eq 0 ]]; then
    mkdir -m 700 "$VIRTPERF_RUNDIR"
    chown 65534 "$VIRTPERF_RUNDIR"
    check_folder "another uid"
    rmdir "$VIRTPERF_RUNDIR"
else
    VIRTPERF_RUNDIR=/var check_folder "another uid"
fi
# made by virtperf itself: 0700
unset VIRTPERF_RUNDIR
export VIRTPERF_RUNDIR=$work/fresh
expect_exit 0 "$VP" workload run disk-files --preset small --rounds 1 --warmup 0 --dir "$work/scratch"
[[ ! -e $VIRTPERF_RUNDIR || $(stat -c %a "$VIRTPERF_RUNDIR") == 700 ]] || fail "made with mode $(stat -c %a "$VIRTPERF_RUNDIR")"
echo ok
