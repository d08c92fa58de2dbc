#!/usr/bin/env bash
# The PostgreSQL store (issue 17): a real server (Debian's postgresql) in a
# data folder of this test's, listening on a socket of its own only, and
# `--store postgresql://...` (here through $VIRTPERF_STORE) for everything.
# Checked: the schema made at the current version; workload runs whose
# figures `results` recomputes as SQL over the rows does; several runners
# writing at once (distinct ids, every round kept); experiments with each
# kind of load (SIP capacity in containers, which reach the store through
# its socket bound into them, RTP, UDP, TCP) read back by `results`, `report`
# and `compare` as from SQLite (the same JSON shape as the same experiment
# stored in a file); a run killed mid-way reads 'incomplete'; a store with a
# newer schema, an unreachable server and a bad URL are one-line errors
# (exit 2) that never show the URL's password. Needs root (the server runs
# as the postgres user).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
pg_require
data=$(cd "$(dirname "$0")/../data/experiments" && pwd)
trap 'stop_postgres; rm -rf "$work"' EXIT
start_postgres
psql_ -d postgres -c 'CREATE DATABASE other' >/dev/null
export VIRTPERF_STORE=$pg_url
q() { psql_ -d virtperf -c "$1"; }

# --- a workload run: stored, and its figures recomputed from the rows -------
expect_exit 0 "$VP" workload run cpu-pi --preset small --rounds 4 --json
run=$(jq -r .start.run_id "$work/out")
[[ $(q "SELECT version FROM virtperf_schema") == $(q "SELECT max(version) FROM virtperf_schema") ]]
[[ $(q "SELECT count(*) FROM rounds WHERE run_id = $run AND warmup = 0") -eq 4 ]] ||
    fail "rounds of run $run: $(q "SELECT round, warmup FROM rounds WHERE run_id = $run")"
[[ $(q "SELECT status FROM runs WHERE id = $run") == complete ]] || fail "run $run not complete"
expect_exit 0 "$VP" results show "$run" --json
mean=$(jq '.end.summary.elapsed.mean' "$work/out")
sql_mean=$(q "SELECT avg(elapsed_s) FROM rounds WHERE run_id = $run AND warmup = 0")
awk -v a="$mean" -v b="$sql_mean" 'BEGIN { d = a - b; exit !(d < 1e-9 && d > -1e-9) }' ||
    fail "mean elapsed: results $mean, SQL $sql_mean"
expect_exit 0 "$VP" results list
grep -q "^ *$run  cpu-pi *complete" "$work/out" || fail "results list: $(cat "$work/out")"

# --- several runners at once ------------------------------------------------
pids=()
for i in 1 2 3; do
    "$VP" workload run mem-masr --preset small --rounds 3 --json >"$work/par$i.json" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent runner failed: $(cat "$work"/par*.json)"; done
ids=$(jq -r .start.run_id "$work"/par*.json | sort -u | wc -l)
[[ $ids -eq 3 ]] || fail "concurrent runners: $ids distinct run ids"
[[ $(q "SELECT count(*) FROM rounds r JOIN runs u ON u.id = r.run_id
        WHERE u.subject = 'mem-masr' AND u.status = 'complete'") -eq 12 ]] ||
    fail "concurrent runners: rounds $(q "SELECT run_id, count(*) FROM rounds GROUP BY run_id")"

# --- experiments with every kind of load, read back as from SQLite ----------
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"
declare -A exps
for f in load-sip load-rtp load-udp load-tcp; do
    expect_exit 0 "$VP" run "$data/$f.yaml" --json
    exp=$(jq -r .start.experiment_id "$work/out")
    [[ $exp =~ ^[0-9]+$ ]] || fail "$f: no experiment id: $(head -c 300 "$work/out")"
    [[ $(q "SELECT status FROM experiments WHERE id = $exp") == complete ]] ||
        fail "$f: experiment $exp is $(q "SELECT status || ' ' || coalesce(error, '') FROM experiments WHERE id = $exp")"
    [[ $(q "SELECT count(*) FROM point_loads WHERE experiment_id = $exp AND run_id IS NULL") -eq 0 ]] ||
        fail "$f: a load without its run"
    expect_exit 0 "$VP" results experiment "$exp" --json
    jq -S 'paths | map(if type == "number" then 0 else . end)' "$work/out" | sort -u >"$work/$f.pg.shape"
    expect_exit 0 "$VP" report "$exp" -o "$work/$f.html"
    report_data "$work/$f.html" | jq -e '[.sections[].figures[]] | length > 0' >/dev/null || fail "$f: report without figures"
    # the same experiment in a file store
    expect_exit 0 "$VP" run "$data/$f.yaml" --json --store "$work/$f.db"
    expect_exit 0 "$VP" results experiment 1 --json --store "$work/$f.db"
    jq -S 'paths | map(if type == "number" then 0 else . end)' "$work/out" | sort -u >"$work/$f.sqlite.shape"
    diff "$work/$f.sqlite.shape" "$work/$f.pg.shape" >"$work/shape.diff" ||
        fail "$f: results differ in shape between SQLite and PostgreSQL: $(head -20 "$work/shape.diff")"
    exps[$f]=$exp
done
[[ $(q "SELECT count(*) FROM profile_samples s JOIN experiment_points p ON p.profile_id = s.profile_id
        WHERE p.experiment_id = ${exps[load-sip]}") -gt 0 ]] || fail "load-sip: no profile samples"
expect_exit 0 "$VP" compare "exp:${exps[load-udp]}" "exp:${exps[load-udp]}" --json
jq -e '.error == null' "$work/out" >/dev/null || fail "compare: $(jq -c .error "$work/out")"
expect_exit 0 "$VP" model "${exps[load-sip]}"

# --- a run killed mid-way reads incomplete once the store is next opened ----
"$VP" workload run cpu-pi --preset small --rounds 100000 --until-stopped >/dev/null 2>&1 &
victim=$!
for _ in $(seq 100); do
    [[ $(q "SELECT count(*) FROM runs WHERE status = 'running'") -gt 0 ]] && break
    sleep 0.1
done
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
expect_exit 0 "$VP" results list
[[ $(q "SELECT count(*) FROM runs WHERE status = 'running'") -eq 0 &&
    $(q "SELECT count(*) FROM runs WHERE status = 'incomplete'") -eq 1 ]] ||
    fail "killed run: $(q "SELECT id, status FROM runs ORDER BY id DESC LIMIT 2")"

# --- bad stores: one line, exit 2, no password shown ------------------------
psql_ -d other -c "CREATE TABLE virtperf_schema (version INTEGER NOT NULL);
    INSERT INTO virtperf_schema VALUES (9999)" >/dev/null
expect_exit 2 "$VP" results list --store "postgresql://vp@/other?host=$pg&port=$pg_port"
expect_one_line_error "schema version 9999 is newer than this virtperf"
expect_exit 2 "$VP" results list --store "postgresql://vp:s3cret@/virtperf?host=$pg/none&port=$pg_port"
expect_one_line_error "cannot open"
! grep -q s3cret "$work/err" || fail "the password was shown: $(cat "$work/err")"
grep -q "postgresql://vp:\*\*\*@/virtperf" "$work/err" || fail "the store not named: $(cat "$work/err")"
expect_exit 2 "$VP" results list --store "postgresql://vp@/virtperf?host=$pg&port=$pg_port&nonsense=1"
expect_one_line_error "nonsense"
[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
echo ok
