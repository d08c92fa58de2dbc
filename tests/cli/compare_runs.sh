#!/usr/bin/env bash
# virtperf compare (issue 15): two runs of cpu-pi at its small preset under
# the same conditions, and a third with a busy neighbour on its CPU, which
# makes it about twice as slow. The JSON's figures agree with `results show`
# and with Welch's t and df computed here from the stored rounds;
# --fail-if-worse exits 1 exactly when a metric got significantly worse by
# more than its limit, naming it; the CSV has its header; experiments are
# matched point by point, appliance by appliance and load by load; bad ids
# exit 2 with one line.
. "$(dirname "$0")/lib.sh"

nb=
trap '[[ -n $nb ]] && kill "$nb" 2>/dev/null; rm -rf "$work"' EXIT

run_pi() { # run_pi [PREFIX...]: a stored run of cpu-pi small, its id on stdout
    "$@" "$VP" workload run cpu-pi --preset small --rounds 5 --json >"$work/run.json" ||
        fail "cpu-pi did not run"
    jq -r .start.run_id "$work/run.json"
}

a=$(run_pi)
b=$(run_pi)
# the neighbour: a busy loop on the CPU the third run is pinned to
cpu=$(taskset -cp $$ | sed 's/.*: //; s/[,-].*//')
taskset -c "$cpu" bash -c 'while :; do :; done' &
nb=$!
c=$(run_pi taskset -c "$cpu")
kill "$nb"
wait "$nb" 2>/dev/null || true
nb=

# --- the JSON: fields, and figures recomputed from the store
expect_exit 0 "$VP" compare "run:$a" "run:$b" --json
cp "$work/out" "$work/ab.json"
! grep -qiE '\b(inf|nan)\b' "$work/ab.json" || fail "inf or nan in the JSON"
jq -e --argjson a "$a" --argjson b "$b" '
  .start.a.kind == "run" and .start.a.id == $a and .start.b.id == $b and .error == null
  and ([.rounds[].metric] | index("elapsed") != null)
  and ([.rounds[].metric] == ["elapsed", "iterations"])
  and all(.rounds[]; (.a.n == 5) and (.b.n == 5) and (.significant | type) == "boolean"
      and (.p | type) == "number" and .p >= 0 and .p <= 1
      and (.ratio - .b.mean / .a.mean | fabs) < 1e-12
      and .point == null and .appliance == null)
  and (.rounds[0] | .higher_is_better == false and .unit == "s"
      and (.worse_pct - 100 * (.ratio - 1) | fabs) < 1e-9
      and .a.ci95_low < .a.mean and .a.mean < .a.ci95_high)' "$work/ab.json" >/dev/null ||
    fail "compare --json: $(cat "$work/ab.json")"
# each side's mean and CI are those `results show` gives
for side in a b; do
    id=${!side}
    expect_exit 0 "$VP" results show "$id" --json
    cp "$work/out" "$work/show_$side.json"
    jq -e --slurpfile cmp "$work/ab.json" --arg s "$side" '
      .end.summary.elapsed as $e | $cmp[0].rounds[0][$s] as $c
      | ($e.mean - $c.mean | fabs) < 1e-12 and ($e.ci95_half - $c.ci95_half | fabs) < 1e-12' \
        "$work/show_$side.json" >/dev/null || fail "run $id: compare's figures are not results show's"
done
# Welch's t and df, computed here from the rounds
jq -e -n --slurpfile A "$work/show_a.json" --slurpfile B "$work/show_b.json" \
    --slurpfile cmp "$work/ab.json" '
  def xs(r): [r[0].rounds[] | select(.warmup | not) | .elapsed_s];
  def mean(x): (x | add) / (x | length);
  def var(x): mean(x) as $m | ([x[] | (. - $m) * (. - $m)] | add) / ((x | length) - 1);
  xs($A) as $x | xs($B) as $y | (var($x) / ($x | length)) as $va | (var($y) / ($y | length)) as $vb
  | ((mean($y) - mean($x)) / (($va + $vb) | sqrt)) as $t
  | (($va + $vb) * ($va + $vb) / ($va * $va / (($x | length) - 1) + $vb * $vb / (($y | length) - 1))) as $df
  | $cmp[0].rounds[0] as $r
  | ($r.t - $t | fabs) < 1e-6 * ($t | fabs) + 1e-9 and ($r.df - $df | fabs) < 1e-6 * $df' \
    >/dev/null || fail "Welch's t or df differ from the rounds': $(jq -c '.rounds[0]' "$work/ab.json")"

# --- --fail-if-worse: exit 1 exactly when a metric is significantly worse
# by more than the limit (whatever the host did to A and B), naming it
for pct in 0 10 50; do
    want=$(jq --argjson p "$pct" '[.rounds[] | select(.significant and .worse_pct > $p)] | length' \
        "$work/ab.json")
    expect_exit $((want > 0 ? 1 : 0)) "$VP" compare "$a" "$b" --fail-if-worse "$pct"
    [[ $(grep -c "worse in B" "$work/err" || true) -eq $want ]] ||
        fail "--fail-if-worse $pct: $want metrics beyond, stderr: $(cat "$work/err")"
done

# the neighbour's run: slower, and by how much is measured, not assumed
expect_exit 0 "$VP" compare "$a" "$c" --json
cp "$work/out" "$work/ac.json"
read -r ratio sig worse < <(jq -r '.rounds[0] | "\(.ratio) \(.significant) \(.worse_pct)"' \
    "$work/ac.json")
if [[ $sig != true ]] || awk -v r="$ratio" 'BEGIN { exit !(r < 1.3) }'; then
    skip_judgement "the neighbour did not slow cpu-pi down (B/A $ratio, significant $sig)"
else
    jq -e '.rounds[0] | .worse and .b.mean > .a.ci95_high' "$work/ac.json" >/dev/null ||
        fail "slower run not marked worse: $(jq -c '.rounds[0]' "$work/ac.json")"
    expect_exit 1 "$VP" compare "$a" "$c" --fail-if-worse 20
    expect_one_line_error "elapsed is .*% worse in B"
    grep -q "beyond 20%" "$work/err" || fail "the limit is not named: $(cat "$work/err")"
    [[ -s $work/out ]] || fail "no table with --fail-if-worse"
    # a limit above what was measured passes; the other way round it is better
    expect_exit 0 "$VP" compare "$a" "$c" --fail-if-worse "$(awk -v w="$worse" 'BEGIN { print w + 10 }')"
    expect_exit 0 "$VP" compare "$c" "$a" --fail-if-worse 0
    grep -q "better" "$work/out" || fail "faster run not marked better: $(cat "$work/out")"
    expect_exit 1 "$VP" compare "$a" "$c" --fail-if-worse 20 --json
    jq -e '.rounds[0].beyond_limit and .start.fail_if_worse_pct == 20' "$work/out" >/dev/null ||
        fail "--json --fail-if-worse: $(cat "$work/out")"
fi

# --- CSV: its header, a line per metric
expect_exit 0 "$VP" compare "$a" "$b" --csv
[[ $(head -1 "$work/out") == "point,appliance,load,metric,unit,higher_is_better,average,a.n,a.mean,a.sd,a.ci95_low,a.ci95_high,a.ci95_half,a.ci95_n_too_small,b.n,b.mean,b.sd,b.ci95_low,b.ci95_high,b.ci95_half,b.ci95_n_too_small,ratio,worse_pct,t,df,p,significant,worse,beyond_limit" ]] ||
    fail "CSV header: $(head -1 "$work/out")"
[[ $(wc -l <"$work/out") -eq 3 ]] || fail "CSV: expected 2 metric lines: $(cat "$work/out")"
[[ $(cut -d, -f4 "$work/out" | tail -2 | tr '\n' ' ') == "elapsed iterations " ]] ||
    fail "CSV metrics: $(cat "$work/out")"

# --- experiments: points by their params, appliances by name
cat >"$work/exp.yaml" <<'EOF'
name: compare-test
platform: native
rounds: 3
warmup: 0
appliances:
  - name: pi
    workload: cpu-pi
    digits: 64k
matrix:
  count: [1, 2]
EOF
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"
for i in 1 2; do
    expect_exit 0 "$VP" run "$work/exp.yaml" --json
    eval "e$i=$(jq -r .start.experiment_id "$work/out")"
done
expect_exit 0 "$VP" compare "exp:$e1" "exp:$e2" --json
# each point's own figure first (all its instances' rounds: appliance null)
jq -e '.start.a.kind == "experiment" and (.rounds | length) == 8
  and ([.rounds[] | "\(.point.count) \(.appliance) \(.metric)"]
       == ["1 null elapsed", "1 pi-1 elapsed", "1 pi-1 iterations", "2 null elapsed",
           "2 pi-1 elapsed", "2 pi-1 iterations", "2 pi-2 elapsed", "2 pi-2 iterations"])
  and ([.rounds[] | select(.appliance == null) | .a.n] == [3, 6])
  and all(.rounds[] | select(.appliance != null); .a.n == 3 and .b.n == 3)
  and .end.only_in_a == 0 and .end.only_in_b == 0' \
    "$work/out" >/dev/null || fail "compare experiments: $(cat "$work/out")"
expect_exit 0 "$VP" compare "exp:$e1" "exp:$e2" --csv
grep -q '^"{""count"":2}",pi-2,,elapsed,s,false,arithmetic,3,' "$work/out" || fail "CSV of experiments: $(cat "$work/out")"

# a load's figures: one value a run (a median delay and a loss), so no test
data=$(cd "$(dirname "$0")/../data/experiments" && pwd)
for i in 1 2; do
    expect_exit 0 "$VP" run "$data/load-udp.yaml" --json
    eval "u$i=$(jq -r .start.experiment_id "$work/out")"
done
expect_exit 0 "$VP" compare "exp:$u1" "exp:$u2" --json
jq -e '[.rounds[] | select(.load == "udp")] as $l
  | ([$l[].metric] == ["delay_median", "loss"])
  and all($l[]; .a.n == 1 and .b.n == 1 and .p == null and (.significant | not)
      and .higher_is_better == false and .appliance == null)
  and ($l[0] | .unit == "ms" and .a.mean > 0 and .b.mean > 0)
  and ([.rounds[] | select(.appliance == "cpu") | .metric] | index("compress_rate") != null)
  and ([.rounds[] | select(.metric == "compress_rate")][0]
      | .average == "harmonic" and .higher_is_better)' "$work/out" >/dev/null ||
    fail "compare experiments with loads: $(cat "$work/out")"
# a load's rows have no test, so they are never beyond a limit; the
# workload's rows may be (this host's noise): the exit follows them alone
cp "$work/out" "$work/uu.json"
tested=$(jq '[.rounds[] | select(.load == null and .significant and .worse_pct > 0)] | length' "$work/uu.json")
expect_exit "$((tested > 0))" "$VP" compare "exp:$u1" "exp:$u2" --fail-if-worse 0 --json
jq -e '[.rounds[] | select(.load != null and .beyond_limit)] | length == 0' "$work/out" >/dev/null ||
    fail "a load's row without a test counted beyond the limit: $(cat "$work/out")"

# --- bad input: one line, exit 2
expect_exit 2 "$VP" compare "$a" 99999
expect_one_line_error "99999"
expect_exit 2 "$VP" compare "run:x" "$a"
expect_one_line_error '"run:x" is not a run or an experiment'
expect_exit 2 "$VP" compare "run:$a" "exp:$e1"
expect_one_line_error "compare runs with runs"
expect_exit 2 "$VP" compare "exp:$e1" "exp:99999"
expect_one_line_error "99999"
expect_exit 2 "$VP" compare "$a"
expect_one_line_error "name two runs or two experiments"
expect_exit 2 "$VP" compare "$a" "$b" "$c"
expect_one_line_error ""
run_id=$(sql "SELECT run_id FROM point_runs WHERE experiment_id = $e1 LIMIT 1")
expect_exit 0 "$VP" compare "$run_id" "$a" # both cpu-pi
"$VP" workload run cpu-gzip --preset small --rounds 2 --json >"$work/gz.json" || fail "cpu-gzip"
expect_exit 2 "$VP" compare "$a" "$(jq -r .start.run_id "$work/gz.json")"
expect_one_line_error "different workloads"
end_test
