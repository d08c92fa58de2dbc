#!/usr/bin/env bash
# `workload run --until-stopped`: SIGUSR1 ends the run normally after the
# round at hand (exit 0, complete, the rounds done stored), --rounds still
# caps it, SIGTERM still interrupts it, and a stop in the warm-up leaves a
# complete run without measured rounds.
. "$(dirname "$0")/lib.sh"

bg=0
trap '[[ $bg -gt 0 ]] && kill -KILL "$bg" 2>/dev/null; rm -rf "$work"' EXIT

# db_query STORE SQL
db_query() {
    sqlite3 -batch -noheader "$1" "$2" 2>/dev/null || echo 0
}

# wait_for STORE SQL MIN: until the query's number reaches MIN (at most 30 s).
wait_for() {
    for _ in $(seq 1 300); do
        [[ $(db_query "$1" "$2") -ge $3 ]] && return 0
        kill -0 "$bg" 2>/dev/null || fail "the run ended before: $(cat "$work/bg.err")"
        sleep 0.1
    done
    fail "waited 30 s for '$2' >= $3"
}

# finish SECONDS: wait for the background run to exit; its status in $status.
finish() {
    for _ in $(seq 1 $(($1 * 10))); do
        kill -0 "$bg" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$bg" 2>/dev/null && fail "the run did not end within $1 s of the signal"
    status=0
    wait "$bg" || status=$?
    bg=0
}

measured() { # rounds of a run document that are not warm-up
    jq '[.rounds[] | select(.warmup | not)] | length' "$1"
}

"$VP" help workload >"$work/help"
grep -q -- "--until-stopped" "$work/help" || fail "help does not document --until-stopped"

# 1. native: SIGUSR1 after a few measured rounds ends the run cleanly
s1=$work/s1.db
"$VP" workload run cpu-pi --preset small --until-stopped --rounds 100000 --warmup 1 --json \
    --store "$s1" >"$work/1.json" 2>"$work/bg.err" &
bg=$!
wait_for "$s1" "SELECT count(*) FROM rounds WHERE warmup = 0" 2
sleep 0.5
kill -USR1 "$bg"
finish 10
[[ $status -eq 0 ]] || fail "stopped run exited $status: $(cat "$work/bg.err")"
[[ ! -s $work/bg.err ]] || fail "stopped run wrote to stderr: $(cat "$work/bg.err")"
jq -e '.end.status == "complete" and .error == null' "$work/1.json" >/dev/null ||
    fail "stopped run: $(jq -c .end "$work/1.json")"
jq -e '.start.params["until-stopped"] == true' "$work/1.json" >/dev/null ||
    fail "mode not in params: $(jq -c .start.params "$work/1.json")"
n=$(measured "$work/1.json")
[[ $n -ge 2 && $n -lt 100000 ]] || fail "stopped run has $n measured rounds"
[[ $(jq '.end.summary.elapsed.n' "$work/1.json") -eq $n ]] || fail "summary n is not $n"
id=$(jq '.start.run_id' "$work/1.json")
"$VP" results show "$id" --json --store "$s1" >"$work/1s.json"
jq -e '.end.status == "complete"' "$work/1s.json" >/dev/null || fail "store: not complete"
[[ $(measured "$work/1s.json") -eq $n ]] || fail "store has $(measured "$work/1s.json") rounds, not $n"
[[ $(db_query "$s1" "SELECT count(*) FROM rounds WHERE warmup = 1") -eq 1 ]] || fail "warm-up rounds"

# 2. --rounds caps it: 2 rounds and no signal end the run as usual
expect_exit 0 "$VP" workload run cpu-pi --preset small --until-stopped --rounds 2 --warmup 1 \
    --json --store "$work/s2.db"
jq -e '.end.status == "complete"' "$work/out" >/dev/null || fail "capped run not complete"
[[ $(measured "$work/out") -eq 2 ]] || fail "capped run has $(measured "$work/out") rounds"

# 3. SIGTERM still interrupts: non-zero exit, stored as interrupted
s3=$work/s3.db
"$VP" workload run cpu-pi --preset small --until-stopped --rounds 100000 --warmup 1 --json \
    --store "$s3" >"$work/3.json" 2>"$work/bg.err" &
bg=$!
wait_for "$s3" "SELECT count(*) FROM rounds WHERE warmup = 0" 1
kill -TERM "$bg"
finish 10
[[ $status -eq 1 ]] || fail "terminated run exited $status, expected 1"
[[ $(db_query "$s3" "SELECT status FROM runs") == interrupted ]] ||
    fail "terminated run stored as $(db_query "$s3" "SELECT status FROM runs")"

# 4. a stop during the (long) warm-up round: that round is finished, then
# the run ends complete with no measured rounds
s4=$work/s4.db
"$VP" workload run cpu-pi --digits 1M --until-stopped --rounds 100000 --warmup 1 --json \
    --store "$s4" >"$work/4.json" 2>"$work/bg.err" &
bg=$!
wait_for "$s4" "SELECT count(*) FROM runs" 1 # set up: the warm-up round is starting
kill -USR1 "$bg"
finish 30
[[ $status -eq 0 ]] || fail "run stopped in its warm-up exited $status: $(cat "$work/bg.err")"
jq -e '.end.status == "complete" and .end.summary.elapsed.n == 0 and
    .end.summary.elapsed.mean == null' "$work/4.json" >/dev/null ||
    fail "stop in warm-up: $(jq -c .end "$work/4.json")"
[[ $(measured "$work/4.json") -eq 0 ]] || fail "stop in warm-up: measured rounds were run"
[[ $(jq '.rounds | length' "$work/4.json") -eq 1 ]] || fail "the warm-up round was not finished"
[[ $(db_query "$s4" "SELECT status FROM runs") == complete ]] || fail "stop in warm-up: store"
"$VP" results show "$(jq '.start.run_id' "$work/4.json")" --store "$s4" >"$work/4.txt" ||
    fail "the table of a run without measured rounds"
grep -q "complete  0 of 100000 rounds (+1 warm-up)" "$work/4.txt" || fail "table: $(head -1 "$work/4.txt")"

# 5. without --until-stopped, SIGUSR1 ends a run the same way
s5=$work/s5.db
"$VP" workload run cpu-pi --preset small --rounds 100000 --warmup 0 --json --store "$s5" \
    >"$work/5.json" 2>"$work/bg.err" &
bg=$!
wait_for "$s5" "SELECT count(*) FROM rounds" 1
kill -USR1 "$bg"
finish 10
[[ $status -eq 0 ]] || fail "run without --until-stopped exited $status after SIGUSR1"
jq -e '.end.status == "complete" and .start.params["until-stopped"] == false' "$work/5.json" \
    >/dev/null || fail "run without --until-stopped: $(jq -c .end "$work/5.json")"
echo ok
