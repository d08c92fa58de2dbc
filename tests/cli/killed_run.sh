#!/usr/bin/env bash
# A run killed with SIGKILL leaves a sound store that keeps its finished
# rounds and reads as incomplete.
. "$(dirname "$0")/lib.sh"

"$VP" workload run cpu-gzip --size 1M --rounds 100000 --warmup 0 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 300); do
    n=$(sql "SELECT count(*) FROM rounds" 2>/dev/null || echo 0)
    [[ $n -ge 3 ]] && break
    sleep 0.1
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
[[ $n -ge 3 ]] || fail "the run stored no rounds before it was killed"

[[ $(sql "PRAGMA integrity_check") == ok ]] || fail "integrity_check after SIGKILL"
expect_exit 0 "$VP" results list --json
jq -e '.end.runs[0].status == "incomplete" and .end.runs[0].rounds_stored >= 3' "$work/out" \
    >/dev/null || fail "killed run: $(jq -c '.end.runs[0]' "$work/out")"
id=$(jq '.end.runs[0].run_id' "$work/out")
expect_exit 0 "$VP" results show "$id" --json
jq -e '.end.summary.elapsed.n >= 3' "$work/out" >/dev/null || fail "finished rounds not shown"
echo ok
