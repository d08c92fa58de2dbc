# Shared by the CLI tests: a private store, expectations on exit status and
# output, and cleanup. $VIRTPERF is the binary under test.
set -euo pipefail

VP=${VIRTPERF:?VIRTPERF must name the virtperf binary}
work=$(mktemp -d /var/tmp/vp-cli-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
export VIRTPERF_STORE=$work/store.db

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# expect_exit STATUS CMD...: run CMD, check its exit status; its stdout and
# stderr are left in $work/out and $work/err.
expect_exit() {
    local want=$1
    shift
    local got=0
    "$@" >"$work/out" 2>"$work/err" || got=$?
    if [[ $got -ne $want ]]; then
        echo "--- stdout" >&2; cat "$work/out" >&2
        echo "--- stderr" >&2; cat "$work/err" >&2
        fail "'$*' exited $got, expected $want"
    fi
}

# expect_one_line_error PATTERN: stderr is one line naming the problem.
expect_one_line_error() {
    local lines
    lines=$(wc -l <"$work/err")
    [[ $lines -eq 1 ]] || { cat "$work/err" >&2; fail "expected a one-line error, got $lines lines"; }
    grep -q -- "$1" "$work/err" || fail "error '$(cat "$work/err")' does not mention '$1'"
}

sql() {
    sqlite3 -batch -noheader "$VIRTPERF_STORE" "$@"
}

# report_data FILE: the figures' JSON a `virtperf report` page inlines.
report_data() {
    sed -n '/<script type="application\/json" id="vp-data">/,/<\/script>/p' "$1" | sed '1d;$d'
}

# Work of other processes on this machine while a test measures. A test
# whose figures depend on having the CPUs says how much of them went
# elsewhere, and skips (exit 77) instead of failing when that was a lot.
#   other_work_begin [PID...]   start counting; PIDs: this test's processes
#                               already running (their CPU is the test's own)
#   other_work_end [PID...]     sets $other_pct: % of all CPUs that went to
#                               other work since; PIDs: the test's
#                               processes still running
# (called directly, not in $(...): `times` must see this shell's children)
# This test's own = its reaped children (bash's `times`) + the given PIDs.
cpu_jiffies() { # busy and total jiffies of all CPUs, from /proc/stat
    local a i total=0
    read -r -a a < <(head -1 /proc/stat)
    for i in 1 2 3 4 5 6 7 8; do total=$((total + a[i])); done
    echo $((total - a[4] - a[5])) $total
}
pids_jiffies() { # user + system jiffies of PIDs (0 for one that is gone)
    local p f sum=0
    for p in "$@"; do
        f=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
        # after the ')': state is field 1, utime 12, stime 13
        sum=$((sum + $(awk '{ print $12 + $13 }' <<<"$f")))
    done
    echo $sum
}
children_jiffies() { # user + system of this shell's reaped children
    # `times` must run in this shell, not in a $(...) subshell: a file carries it
    times >"$work/times"
    tail -1 "$work/times" | sed 's/[ms]/ /g' |
        awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($1 * 60 + $2 + $3 * 60 + $4) * hz }'
}
other_work_begin() {
    read -r _ow_busy _ow_total < <(cpu_jiffies)
    children_jiffies >"$work/ow.children"
    _ow_ours=$(($(cat "$work/ow.children") + $(pids_jiffies "$@")))
}
other_work_end() {
    local busy total ours
    read -r busy total < <(cpu_jiffies)
    children_jiffies >"$work/ow.children"
    ours=$(($(cat "$work/ow.children") + $(pids_jiffies "$@")))
    other_pct=$((100 * ((busy - _ow_busy) - (ours - _ow_ours)) / (total - _ow_total + 1)))
    ((other_pct >= 0)) || other_pct=0
}

# skip_judgement WHY: a check this test cannot judge on a disturbed host;
# the rest of the test goes on, and it ends with exit 77 naming why (see
# end_test). A test that calls it must end with end_test.
skipped_why=
skip_judgement() {
    echo "not judged: $*" >&2
    skipped_why=${skipped_why:+$skipped_why; }$*
}
end_test() {
    if [[ -n $skipped_why ]]; then
        echo "SKIP: host disturbed: $skipped_why"
        exit 77
    fi
    echo ok
}
