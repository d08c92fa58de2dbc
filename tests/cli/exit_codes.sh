#!/usr/bin/env bash
# Exit statuses and one-line errors for bad input; input errors store nothing.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$VP" help
grep -q "workload" "$work/out" || fail "help does not list commands"
expect_exit 0 "$VP" help workload
grep -q -- "--rounds" "$work/out" || fail "help workload does not list --rounds"
grep -q -- "--digits" "$work/out" || fail "help workload does not list cpu-pi's --digits"
expect_exit 0 "$VP" --version
grep -q "^virtperf [0-9]" "$work/out" || fail "--version prints no version"
expect_exit 2 "$VP"
expect_exit 2 "$VP" frobnicate
expect_one_line_error 'unknown command "frobnicate"'
expect_exit 2 "$VP" help frobnicate

expect_exit 2 "$VP" workload
expect_exit 2 "$VP" workload run
expect_one_line_error "name a workload"
expect_exit 2 "$VP" workload run no-such-workload
expect_one_line_error 'unknown workload "no-such-workload"'
expect_exit 2 "$VP" workload run cpu-pi --no-such-option 3
expect_one_line_error "unknown option --no-such-option"
expect_exit 2 "$VP" workload run cpu-pi --digits 12Q
expect_one_line_error "\-\-digits 12Q"
expect_exit 2 "$VP" workload run cpu-pi --digits 10
expect_one_line_error "out of range (1000 to 67108864)"
expect_exit 2 "$VP" workload run cpu-pi --rounds 0
expect_one_line_error "out of range"
expect_exit 2 "$VP" workload run cpu-pi --rounds
expect_one_line_error "needs a value"
expect_exit 2 "$VP" workload run mem-masr --size 64TiB
expect_one_line_error "\-\-size"
expect_exit 2 "$VP" workload run disk-zfg --size 512TiB --dir "$work"
expect_one_line_error "\-\-size"
expect_exit 2 "$VP" workload run disk-zfg --preset small --dir "$work/missing"
expect_one_line_error "$work/missing"
expect_exit 2 "$VP" workload run cpu-gzip --preset small --store /proc/virtperf/store.db
expect_one_line_error "/proc/virtperf/store.db"
expect_exit 2 "$VP" results show 12345
expect_one_line_error "no run 12345"
expect_exit 2 "$VP" results show abc
expect_exit 2 "$VP" results frob

# --json errors are still a document with an error section
expect_exit 2 "$VP" workload run cpu-pi --digits 12Q --json
# (slurped: jq -e passes on an empty file)
jq -s -e 'length == 1 and (.[0].error | test("digits"))' "$work/out" >/dev/null ||
    fail "--json error document lacks .error: $(cat "$work/out")"
jq -s -e '.[0] | .start == {} and .end == {} and .rounds == [] and (keys | length) == 4' "$work/out" \
    >/dev/null || fail "--json error document has wrong sections"

# none of the refused runs left a row behind
[[ $(sql "SELECT count(*) FROM runs") -eq 0 ]] || fail "an input error stored a run"

# a verification failure is a failed run (exit 1), stored as failed with its error
expect_exit 1 "$VP" workload run cpu-gzip --preset small --rounds 2 --inject-fault
grep -q "verification failed" "$work/err" || fail "no verification failure reported"
[[ $(sql "SELECT status FROM runs") == failed ]] || fail "failed run not stored as failed"
sql "SELECT error FROM runs" | grep -q "verification failed" || fail "error not stored"
[[ $(sql "SELECT count(*) FROM rounds WHERE warmup = 0") -eq 0 ]] ||
    fail "a round that failed verification was stored"
echo ok
