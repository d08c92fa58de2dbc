#!/usr/bin/env bash
# Every shipped study (experiments/*.yaml) runs in its small form
# (`--preset small`, a few seconds each) to the end: every point complete,
# every load stored, nothing left behind. What the figures say is the full
# studies' business (EXPERIMENTS.md); this is the smoke test that keeps them
# runnable.
. "$(dirname "$0")/lib.sh"

export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"
for f in "$(dirname "$0")"/../../experiments/*.yaml; do
    name=$(basename "$f" .yaml)
    if [[ $name == voip-kamailio ]] && ! command -v kamailio >/dev/null; then
        echo "$name: kamailio not installed, skipped" >&2
        continue
    fi
    start=$SECONDS
    expect_exit 0 "$VP" run "$f" --preset small --json
    jq -e '.end.status == "complete" and (.rounds | length) >= 2
           and all(.rounds[]; .status == "complete"
                   and all(.loads[]?; .run_id > 0 and .status != "failed"))' "$work/out" \
        >/dev/null || fail "$name: $(jq -c '[.end.status, [.rounds[] | .status]]' "$work/out")"
    [[ $(jq -r .start.name "$work/out") == "$name (preset small)" ]] ||
        fail "$name: stored as $(jq -r .start.name "$work/out")"
    echo "$name: $((SECONDS - start)) s" >&2
done
[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
echo ok
