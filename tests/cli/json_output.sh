#!/usr/bin/env bash
# The JSON document's fixed sections, statistics that agree with the rounds,
# and the same figures from the store, as JSON and CSV.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$VP" workload run cpu-pi --digits 20k --rounds 5 --warmup 1 --json
doc=$work/out
cp "$doc" "$work/run.json"
jq -e 'keys == ["end", "error", "rounds", "start"]' "$doc" >/dev/null || fail "sections: $(jq -c keys "$doc")"
jq -e '.error == null and .end.status == "complete"' "$doc" >/dev/null || fail "not complete"
jq -e '.start.params.digits == 20480 and .start.subject == "cpu-pi"' "$doc" >/dev/null ||
    fail "params not recorded"
jq -e '.start.host.cpus_online >= 1' "$doc" >/dev/null || fail "host facts missing"
jq -e '(.rounds | length) == 6 and ([.rounds[] | select(.warmup)] | length) == 1' "$doc" \
    >/dev/null || fail "expected 1 warm-up and 5 measured rounds"

# mean, bounds and CI agree with the per-round elapsed times (t(0.975, 4) = 2.7764451)
jq -e '
  [.rounds[] | select(.warmup | not) | .elapsed_s] as $x
  | ($x | add / length) as $mean
  | ([$x[] | (. - $mean) * (. - $mean)] | add / 4 | sqrt) as $sd
  | .end.summary.elapsed as $s
  | $s.n == 5
  and (($s.mean - $mean) | fabs) < 1e-12
  and (($s.sd - $sd) | fabs) < 1e-9
  and (($s.ci95_half - 2.7764451 * $sd / (5 | sqrt)) | fabs) < 1e-9
  and $s.ci95_low < $s.mean and $s.mean < $s.ci95_high
  and $s.min == ($x | min) and $s.max == ($x | max)' "$doc" >/dev/null ||
    fail "summary does not match the rounds: $(jq -c .end.summary.elapsed "$doc")"

id=$(jq .start.run_id "$doc")
expect_exit 0 "$VP" results show "$id" --json
jq -e --slurpfile a "$work/run.json" '.rounds == $a[0].rounds and .end == $a[0].end' "$work/out" \
    >/dev/null || fail "results show differs from the run's own output"

expect_exit 0 "$VP" results show "$id" --csv
[[ $(wc -l <"$work/out") -eq 7 ]] || fail "CSV should have a header and 6 rounds"
head -1 "$work/out" | grep -q "^round,warmup,elapsed_s,.*,metrics.iterations$" ||
    fail "CSV header: $(head -1 "$work/out")"
# the CSV holds the JSON's rounds: the same elapsed times, in the same order
jq -e -R -s --slurpfile a "$work/run.json" \
    '[split("\n")[1:][] | select(length > 0) | split(",")[2] | tonumber] == [$a[0].rounds[].elapsed_s]' \
    "$work/out" >/dev/null || fail "CSV rounds differ from the JSON's"

expect_exit 0 "$VP" results list --json
jq -e --argjson id "$id" '.end.runs[0].run_id == $id and .end.runs[0].rounds_stored == 6' \
    "$work/out" >/dev/null || fail "results list"
expect_exit 0 "$VP" workload list --json
jq -e '[.end.workloads[].name] == ["cpu-pi", "cpu-gzip", "mem-masr", "disk-zfg", "disk-files",
        "build"]' "$work/out" >/dev/null ||
    fail "workload list: $(jq -c '[.end.workloads[].name]' "$work/out")"

# the stored rows are what the statistics came from
[[ $(sql "SELECT count(*) FROM rounds WHERE run_id = $id AND warmup = 0") -eq 5 ]] ||
    fail "5 measured rounds not in the store"
echo ok
