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
