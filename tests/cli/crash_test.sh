#!/usr/bin/env bash
# The crash test's short form (issue 18, item 7): tests/crash-test at three
# random moments (the 20-moment form is run by hand: bench/results/
# reliability.md). The seed is printed; $VIRTPERF_CRASH_SEED replays one.
. "$(dirname "$0")/lib.sh"
seed=${VIRTPERF_CRASH_SEED:-$(($(date +%s%N) / 1000 % 1000000))}
status=0
"$(dirname "$0")/../crash-test" --moments 3 --seed "$seed" --virtperf "$VP" || status=$?
[[ $status -eq 0 || $status -eq 77 ]] || fail "crash test, seed $seed (VIRTPERF_CRASH_SEED=$seed replays it)"
exit "$status"
