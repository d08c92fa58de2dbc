#!/usr/bin/env bash
# Every workload runs at its small preset and verifies; each catches a
# deliberately damaged result; nothing is left in the scratch directory.
. "$(dirname "$0")/lib.sh"

mkdir "$work/disk"
"$VP" workload list --json >"$work/list.json"
names=$(jq -r '.end.workloads[].name' "$work/list.json")
[[ $(wc -w <<<"$names") -ge 5 ]] || fail "expected at least five workloads"
for w in $names; do
    extra=()
    jq -e --arg w "$w" '.end.workloads[] | select(.name == $w) | .options | index("dir")' "$work/list.json" \
        >/dev/null && extra=(--dir "$work/disk")
    expect_exit 0 "$VP" workload run "$w" --preset small --rounds 2 "${extra[@]}" --json
    jq -e '.end.status == "complete" and .end.summary.elapsed.n == 2' "$work/out" >/dev/null ||
        fail "$w did not complete"
    expect_exit 1 "$VP" workload run "$w" --preset small --rounds 2 "${extra[@]}" --inject-fault
    grep -q "verification failed" "$work/err" || fail "$w: damaged result not caught: $(cat "$work/err")"
    [[ -z $(ls -A "$work/disk") ]] || fail "$w left files: $(ls -A "$work/disk")"
done
echo ok
