#!/usr/bin/env bash
# `virtperf run --dry-run` prints the expanded plan; invalid files exit 2
# with file:line:col and create nothing (no store, no journal).
. "$(dirname "$0")/lib.sh"

data=$(cd "$(dirname "$0")/../data/experiments" && pwd)
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"

expect_exit 0 "$VP" run "$data/good.yaml" --dry-run
grep -q "^experiment good (.*good.yaml): 6 points + 2 idle-overhead points, 3 rounds + 0 warm-up" \
    "$work/out" || fail "plan header: $(head -1 "$work/out")"
[[ $(grep -c "^point " "$work/out") -eq 6 ]] || fail "expected 6 points"
[[ $(grep -c "^idle " "$work/out") -eq 2 ]] || fail "expected 2 idle points"
grep -q "^point 4/8: pi.count=2 pi.weight=768 digits=8k" "$work/out" || fail "point 4 params"
grep -q "creates pi-2 .*cpus=1 weight=768 cap=0" "$work/out" || fail "pi-2 pinned by exclusive"
grep -q "runs virtperf workload run cpu-pi --preset small --digits 8k --rounds 3" \
    "$work/out" || fail "workload command"
grep -q "warning: exclusive: 3 vCPUs but 2 cores" "$work/out" || fail "exclusive warning"

expect_exit 0 "$VP" run "$data/good.yaml" --dry-run --json
[[ $(jq '.rounds | length' "$work/out") -eq 8 ]] || fail "json points"
[[ $(jq -r '.rounds[3].appliances[1].cpus' "$work/out") == 1 ]] || fail "json cpus"
[[ $(jq -r '.rounds[3].params["pi.weight"]' "$work/out") == 768 ]] || fail "json params"
[[ $(jq -r '.rounds[7].kind' "$work/out") == idle ]] || fail "json idle"

# the shipped experiments are valid here, each with its small form (which
# tests/cli/studies_small.sh runs), and EXPERIMENTS.md names every one
for f in "$(dirname "$0")"/../../experiments/*.yaml; do
    expect_exit 0 "$VP" run "$f" --dry-run
    expect_exit 0 "$VP" run "$f" --dry-run --preset small
    grep -q "(preset small)" "$work/out" || fail "$f: the plan does not name the preset"
    grep -q "experiments/$(basename "$f")" "$(dirname "$0")/../../EXPERIMENTS.md" ||
        fail "EXPERIMENTS.md does not name experiments/$(basename "$f")"
done
expect_exit 0 "$VP" run "$(dirname "$0")/../../experiments/cpu-queueing.yaml" --dry-run --json
[[ $(jq '[.rounds[] | select(.kind == "run")] | length' "$work/out") -eq 14 ]] ||
    fail "cpu-queueing: 7 counts x 2 platforms"

check_bad() { # file expected-message
    expect_exit 2 "$VP" run "$data/$1"
    expect_one_line_error "^virtperf: $data/$1:$2\$"
}
check_bad bad-unknown-key.yaml \
    '5:5: unknown key "vcpu" (neither an appliance field nor an option of cpu-pi)'
check_bad bad-range.yaml '3:13: weight 70000: out of range (1 to 65535)'
check_bad bad-type.yaml '1:9: rounds: expected a value, got a list'
check_bad bad-matrix-value.yaml '4:14: count 300: out of range (0 to 256)'
check_bad bad-workload-opt.yaml '3:11: size 5x: not a size (try 4M, 512k or 2GiB)'
check_bad bad-yaml.yaml "3:4: did not find expected '-' indicator while parsing a block collection"

printf 'platform: vmware\nappliances:\n  - workload: cpu-pi\n' >"$work/plat.yaml"
expect_exit 2 "$VP" run "$work/plat.yaml"
expect_one_line_error "plat.yaml:1:11: platform vmware: unknown (platforms: native, container"

# refused by the platform's validate() or the plan, naming the field
printf 'appliances:\n  - workload: cpu-pi\n    cpus: "0,99"\n' >"$work/pin.yaml"
expect_exit 2 "$VP" run "$work/pin.yaml"
expect_one_line_error 'cpu-pi: cpus "0,99"'
n=$(nproc)
printf 'appliances:\n  - workload: cpu-pi\n    count: %d\n' $((n + 1)) >"$work/over.yaml"
expect_exit 2 "$VP" run "$work/over.yaml"
expect_one_line_error "vcpus: $((n + 1)) vCPUs on $n cores; set overcommit: true"

[[ ! -e $VIRTPERF_STORE ]] || fail "an invalid file created the store"
[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
echo ok
