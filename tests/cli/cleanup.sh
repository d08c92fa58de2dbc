#!/usr/bin/env bash
# `virtperf cleanup`: the scratch directory of a workload run killed with
# SIGKILL is journaled and removed (--dry-run only reports it), a second pass
# is harmless, a finished or interrupted run leaves no journal, bad options
# exit 2.
. "$(dirname "$0")/lib.sh"

export VIRTPERF_RUNDIR=$work/run
scratch=$work/scratch
mkdir -p "$scratch"

# other runs' cgroups on this host that no journal lists are rightly swept by
# any cleanup (`(no journal)` lines); this test owns only its run directory
not_ours() { grep -v ' (no journal)$' "$work/out"; }

expect_exit 2 "$VP" cleanup --bogus
expect_one_line_error bogus
expect_exit 0 "$VP" cleanup
[[ -z $(not_ours) || $(not_ours) == "nothing to clean up" ]] || fail "empty cleanup: $(cat "$work/out")"

# a finished run and an interrupted one leave no journal behind

expect_exit 0 "$VP" workload run disk-files --preset small --rounds 1 --warmup 0 --dir "$scratch"
"$VP" workload run disk-zfg --preset small --rounds 100000 --dir "$scratch" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do compgen -G "$VIRTPERF_RUNDIR/*.journal" >/dev/null && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid" || true
[[ -z $(ls -A "$scratch") ]] || fail "scratch left after SIGINT: $(ls "$scratch")"
[[ -z $(ls -A "$VIRTPERF_RUNDIR" 2>/dev/null) ]] || fail "journal left: $(ls "$VIRTPERF_RUNDIR")"

# a killed run leaves its scratch directory, listed in its journal
"$VP" workload run disk-zfg --preset small --rounds 100000 --dir "$scratch" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [[ -n $(ls -A "$scratch") ]] && break; sleep 0.05; done
sleep 0.2
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
left=$(ls -d "$scratch"/virtperf-*-zfg.*)
[[ -d $left ]] || fail "the killed run left no scratch directory"
journal=$(ls "$VIRTPERF_RUNDIR"/*.journal)
# named after the run's id, which the scratch directory carries too
run=$(basename "$journal" .journal)
[[ $left == "$scratch/virtperf-$run-zfg."* ]] || fail "scratch dir $left not named after run $run"
grep -q "dir $left" "$journal" || fail "scratch dir not journaled"

expect_exit 0 "$VP" cleanup --dry-run
grep -q "would remove dir $left" "$work/out" || fail "dry run: $(cat "$work/out")"
[[ -d $left ]] || fail "--dry-run removed something"

expect_exit 0 "$VP" cleanup --json
jq -e --arg d "$left" '([.end.journals[].entries[]] | length) == 1 and .end.failed == 0 and
    (.end.journals[0].entries[0] | .kind == "dir" and .what == $d and .result == "removed")' \
    "$work/out" >/dev/null || fail "cleanup --json: $(cat "$work/out")"
[[ ! -e $left ]] || fail "scratch directory still there"
[[ ! -e $journal ]] || fail "journal still there"

expect_exit 0 "$VP" cleanup --json
jq -e '.end.journals == [] and .end.failed == 0' "$work/out" >/dev/null || fail "second pass: $(cat "$work/out")"
echo ok
