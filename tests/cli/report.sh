#!/usr/bin/env bash
# `virtperf report`, looked at as a person would: two small experiments (a
# media and a SIP server under load next to a workload, two cases; seed
# 002's queueing points with idle ones) and two runs in a private store,
# written as one HTML page and loaded in headless Chromium: no console
# error, every chart drawn and non-empty, the figures' JSON without a
# non-finite number, a CI it cannot give said "n too small". Then a
# synthetic experiment of 100 points with 1 h of 1 s profiler samples per
# appliance: the page stays under 5 MB and draws in under 2 s. Input
# errors are one line, exit 2, and leave no file. Skips (77) only when
# Chromium cannot start.
. "$(dirname "$0")/lib.sh"

export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"

chrome() { # chromium, headless, its profile in $work; stderr in $work/chrome.log
    timeout 60 chromium --headless=new --disable-gpu --no-sandbox --hide-scrollbars \
        --user-data-dir="$work/chrome" --enable-logging=stderr --v=0 "$@" 2>"$work/chrome.log"
}
command -v chromium >/dev/null || { echo "SKIP: no chromium (scripts/install-deps)"; exit 77; }
chrome --dump-dom about:blank >/dev/null || { echo "SKIP: chromium does not start: $(tail -1 "$work/chrome.log")"; exit 77; }

# load FILE: the page's DOM after its scripts ran, in $work/dom; no console output
load() {
    chrome --dump-dom "file://$1" >"$work/dom" || fail "chromium: exit $?: $(tail -3 "$work/chrome.log")"
    ! grep -q ':CONSOLE' "$work/chrome.log" || fail "console: $(grep ':CONSOLE' "$work/chrome.log")"
    body=$(grep -o '<body data-chart-count[^>]*>' "$work/dom") || fail "the report's script did not run"
}
attr() { sed -n "s/.* $1=\"\\([^\"]*\\)\".*/\\1/p" <<<"$body"; }

cat >"$work/loads.yaml" <<'EOF'
name: report-loads
platform: native
rounds: 1
warmup: 0
overcommit: true
profile-interval: 200ms
appliances:
  - {name: media, role: media-server, threads: 1}
  - {name: sip, role: sip-server, work-us: 50}
  - {name: pi, workload: cpu-pi, digits: 20k}
loads:
  - {driver: rtp, target: media, streams: 10, duration: 1s}
  - {driver: sip-uac, target: sip, rate: 20, duration: 2s}
cases:
  - {label: one, pi.count: 1}
  - {label: two, pi.count: 2}
EOF
cat >"$work/model.yaml" <<'EOF'
name: report-model
platform: native
rounds: 1
warmup: 0
overcommit: true
profile-interval: 200ms
appliances:
  - {name: pi, workload: cpu-pi, digits: 20k}
matrix:
  count: [1, 2]
overhead:
  counts: [1, 2]
  seconds: 500ms
EOF
expect_exit 0 "$VP" run "$work/loads.yaml"
expect_exit 0 "$VP" run "$work/model.yaml"
run=$(sql "SELECT min(run_id) FROM point_runs WHERE experiment_id = 2")
run2=$(sql "SELECT max(run_id) FROM point_runs WHERE experiment_id = 2")

# a label that would end the page's script or open a comment in it, were
# it inlined as is: it shows as text
sql "UPDATE experiment_points SET params = '{\"case\":\"two </script><!-- <b>\"}'
     WHERE experiment_id = 1 AND point = 1"
expect_exit 0 "$VP" report 1 "run:$run" 2 "run:$run2" -o "$work/r.html"
[[ ! -e $work/r.html.tmp ]] || fail "the temporary file was left"
report_data "$work/r.html" >"$work/r.json"
jq -e . "$work/r.json" >/dev/null || fail "the figures' JSON does not parse"
# the figures each experiment should have, by title
for want in '1:^workload: mean elapsed' '1:^RTP round-trip delay' '1:^SIP calls/s and response time.*1 one' \
    '1:^SIP calls/s and response time.*2 two' '1:^CPU used per appliance' '1:^fairness' \
    '2:^seed 002.s model' '2:^host CPU cost of idle appliances' \
    '3:^elapsed' '1:^methods' '1:^disturbance warnings' '2:^methods'; do
    jq -e --argjson s "$((${want%%:*} - 1))" --arg t "${want#*:}" \
        'any(.sections[$s].figures[]; .title | test($t))' "$work/r.json" >/dev/null ||
        fail "section ${want%%:*}: no figure '${want#*:}': $(jq -c "[.sections[$((${want%%:*} - 1))].figures[].title]" "$work/r.json")"
done
# the runs side by side: a bar each, in the order given, and their methods
jq -e --arg a "run $run cpu-pi" --arg b "run $run2 cpu-pi" '.sections[2].figures[0].x == [$a, $b]
        and (.sections[2].figures[-1].table.rows | length) == 2' "$work/r.json" >/dev/null ||
    fail "runs: $(jq -c '.sections[2].figures[] | [.title, .x]' "$work/r.json")"
# every figure has its table, with rows; a drawn one has data
jq -e 'all(.sections[].figures[]; (.table.rows | length) >= 1)' "$work/r.json" >/dev/null ||
    fail "a figure without its table: $(jq -c '[.sections[].figures[] | select((.table.rows | length) < 1) | .title]' "$work/r.json")"
# never inf or NaN: numbers that cannot be given are null, texts say so
[[ $(jq '[.. | strings | select(test("^[-+]?(inf|nan)"; "i"))] | length' "$work/r.json") -eq 0 ]] ||
    fail "inf/nan shown: $(jq -c '[.. | strings | select(test("^[-+]?(inf|nan)"; "i"))]' "$work/r.json")"
! grep -qiE '(^|[^a-z])(inf|nan)([^a-z]|$)' <(jq -c '[.. | numbers]' "$work/r.json") || fail "a non-finite number"
# one instance, one round: its CI cannot be given
jq -e '.sections[1].figures[] | select(.title | test("^seed 002")) | .table.rows[0][3] == "n too small"' \
    "$work/r.json" >/dev/null || fail "model: CI of n = 1: $(jq -c '.sections[1].figures[] | select(.title | test("^seed 002")) | .table.rows' "$work/r.json")"
# the delay boxes carry their loss; the SIP time series their intervals
jq -e '.sections[0].figures[] | select(.kind == "box") | (.box | length) == 2 and all(.sub[]; test("^loss "))' \
    "$work/r.json" >/dev/null || fail "delay boxes: $(jq -c '.sections[0].figures[] | select(.kind == "box")' "$work/r.json")"
jq -e '[.sections[0].figures[] | select(.title | test("^SIP calls/s"))
        | (.series[0].data | length) >= 2 and all(.table.rows[]; .[2] != "-" and .[3] != "-")] == [true, true]' \
    "$work/r.json" >/dev/null ||
    fail "SIP intervals: $(jq -c '[.sections[0].figures[] | select(.title | test("^SIP calls/s")) | .table.rows]' "$work/r.json")"

load "$work/r.html"
charts=$(jq '[.sections[].figures[] | select(.kind != "table")] | length' "$work/r.json")
[[ $(attr data-done) == 1 && -z $(attr data-errors) ]] || fail "script errors: $body"
[[ $(attr data-chart-count) -eq $charts && $charts -ge 12 ]] || fail "charts: $body, expected $charts"
[[ $(attr data-empty-charts) -eq 0 ]] || fail "empty charts: $body"
[[ $(grep -o '<canvas' "$work/dom" | wc -l) -ge $charts ]] || fail "charts not drawn: $(grep -c '<canvas' "$work/dom") canvases"
[[ $(grep -o 'class="chart"[^>]*data-points="[1-9]' "$work/dom" | wc -l) -eq $charts ]] ||
    fail "a chart without points: $(grep -o 'class="chart"[^>]*' "$work/dom")"
[[ $(grep -o '<table' "$work/dom" | wc -l) -eq $(jq '[.sections[].figures[]] | length' "$work/r.json") ]] ||
    fail "tables: $(grep -o '<table' "$work/dom" | wc -l)"
grep -q '2 two &lt;/script&gt;&lt;!-- &lt;b&gt;' "$work/dom" || fail "a label with markup: not shown as text"
echo "small report: $(stat -c %s "$work/r.html") B, $charts charts, $(attr data-render-ms) ms"

# input errors: one line, exit 2, no file
expect_exit 2 "$VP" report 1
expect_one_line_error "name the HTML file to write with -o FILE"
expect_exit 2 "$VP" report -o "$work/x.html"
expect_one_line_error "name 1 to"
expect_exit 2 "$VP" report nope -o "$work/x.html"
expect_one_line_error '"nope" is neither an experiment id'
expect_exit 2 "$VP" report 1 999 -o "$work/x.html"
[[ $(wc -l <"$work/err") -eq 1 ]] || fail "unknown experiment: $(cat "$work/err")"
expect_exit 2 "$VP" report run:999 -o "$work/x.html"
VIRTPERF_ECHARTS=$work/none.js expect_exit 1 "$VP" report 1 -o "$work/x.html"
expect_one_line_error "ECharts is missing: run scripts/install-deps"
[[ -z $(ls "$work"/x.html* 2>/dev/null) ]] || fail "a failed report left $(ls "$work"/x.html*)"

# 100 points, 1 h of 1 s samples per appliance (4 appliances, 3 metrics,
# and an interface), 50 cases on two platforms, made in SQL: the page's
# size and drawing time, seed 003's bars (a series per platform)
export VIRTPERF_STORE=$work/big.db
"$VP" results list >/dev/null
sql <<'EOF'
BEGIN;
INSERT INTO experiments (id, name, file, spec, host, cpus_available, status, error, started_at,
                         finished_at)
  VALUES (1, 'big', 'big.yaml', '', '{"hostname":"synthetic","kernel":"Linux"}',
  2, 'complete', NULL, '2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z');
WITH RECURSIVE p(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM p WHERE n < 99)
INSERT INTO profiles (id, command, interval_s, status, started_at)
  SELECT n + 1, 'experiment 1 point ' || (n + 1), 1, 'complete',
         strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', '+' || (n * 36) || ' seconds') FROM p;
WITH RECURSIVE p(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM p WHERE n < 99)
INSERT INTO experiment_points (experiment_id, point, kind, params, series, platform, instances,
  cpus_available, status, profile_id)
  SELECT 1, n, 'run', json_object('case', 'case ' || (n / 2), 'platform', pl),
         json_object('case', 'case ' || (n / 2)), pl, 4, 2, 'complete', n + 1
    FROM (SELECT n, CASE n % 2 WHEN 0 THEN 'native' ELSE 'container' END AS pl FROM p);
WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r WHERE n < 399)
INSERT INTO runs (id, kind, subject, command, params, host, version, rounds_planned, warmup_planned,
  status, owner, started_at)
  SELECT n + 1, 'workload', 'cpu-pi', 'virtperf workload run cpu-pi', '{}', '{}', '0.1.0', 3, 0,
         'complete', 'synthetic', '2026-01-01T00:00:00Z' FROM r;
WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r WHERE n < 1199)
INSERT INTO rounds SELECT n / 3 + 1, n % 3, 0, 1 + (n % 7) * 0.01 + (n / 3 % 4) * 0.02,
  '2026-01-01T00:00:00Z' FROM r;
WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r WHERE n < 399)
INSERT INTO point_runs SELECT 1, n / 4, 'pi-' || (n % 4 + 1), n + 1 FROM r;
WITH RECURSIVE t(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM t WHERE n < 3599),
  a(name) AS (VALUES ('pi-1'), ('pi-2'), ('pi-3'), ('pi-4')),
  m(metric) AS (VALUES ('cpu.total'), ('cpu.throttled_s'), ('runq_wait'))
INSERT INTO profile_samples SELECT n / 36 + 1, n % 36 + 0.5, name, metric,
  0.5 + 0.4 * sin(n / 50.0 + length(name || metric)) FROM t, a, m;
WITH RECURSIVE t(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM t WHERE n < 3599),
  m(metric) AS (VALUES ('net.rx_bytes'), ('net.tx_bytes'))
INSERT INTO profile_samples SELECT n / 36 + 1, n % 36 + 0.5, 'eth0', metric,
  1e6 * (2 + sin(n / 30.0)) FROM t, m;
WITH RECURSIVE p(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM p WHERE n < 99)
INSERT INTO profile_marks SELECT n + 1, 0.01, 'point ' || (n + 1) || ' start' FROM p
  UNION ALL SELECT n + 1, 35.9, 'point ' || (n + 1) || ' end' FROM p;
COMMIT;
EOF
expect_exit 0 "$VP" report 1 -o "$work/big.html"
size=$(stat -c %s "$work/big.html")
[[ $size -lt 5000000 ]] || fail "100 points, 1 h of samples: $size B, expected < 5 MB"
report_data "$work/big.html" >"$work/big.json"
jq -e '.sections[0].figures[0] | (.x | length) == 50 and ([.series[].name] == ["native", "container"])
        and all(.series[]; (.data | length) == 50 and all(.lo[]; . != null))' "$work/big.json" >/dev/null ||
    fail "workload bars per case and platform: $(jq -c '.sections[0].figures[0] | [.x[0:3], [.series[] | [.name, .data[0:3]]]]' "$work/big.json")"
# every series shown, none beyond VP_FIG_MAX_SAMPLES, all 3600 samples counted
jq -e '[.sections[0].figures[] | select(.title | test("^(CPU|run-queue|network)")) | .series[].data | length]
        | length == 14 and all(. > 100 and . <= 600)' "$work/big.json" >/dev/null ||
    fail "decimated series: $(jq -c '[.sections[0].figures[] | select(.kind == "xy") | [.title, [.series[].data | length]]]' "$work/big.json")"
jq -e '.sections[0].figures[] | select(.title | test("^CPU used")) | all(.table.rows[]; .[2] == "3600")
        and (.marks | length) == 100' "$work/big.json" >/dev/null || fail "samples counted or marks"
other_work_begin
load "$work/big.html"
other_work_end
ms=$(attr data-render-ms)
echo "big report: $size B, $(attr data-chart-count) charts, $(attr data-series-points) points shown, drawn in $ms ms (other work ${other_pct}%)"
[[ $(attr data-empty-charts) -eq 0 && -z $(attr data-errors) ]] || fail "big report: $body"
if [[ $ms -ge 2000 ]]; then
    awk -v o="$other_pct" 'BEGIN { exit !(o > 20) }' &&
        { echo "SKIP: drawn in $ms ms while ${other_pct}% of the CPUs went to other work"; exit 77; }
    fail "100 points drawn in $ms ms, expected < 2000"
fi
echo ok
