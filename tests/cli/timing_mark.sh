#!/usr/bin/env bash
# virtperf timeserver standalone, virtperf mark from a "shell script", timing
# show by token; lost acks retransmitted and counted once; bad key files and
# options refused with one-line errors; a dead server is a run error.
source "$(dirname "$0")/timing_lib.sh"

# input errors: exit 2, one line naming the problem
head -c 32 /dev/urandom >"$work/open.key"
chmod 644 "$work/open.key"
expect_exit 2 "$VP" timeserver --key-file "$work/open.key" --listen 127.0.0.1:0
expect_one_line_error "too open"
printf 'abc' >"$work/short.key"
chmod 600 "$work/short.key"
expect_exit 2 "$VP" timeserver --key-file "$work/short.key" --listen 127.0.0.1:0
expect_one_line_error "64 hex digits"
expect_exit 2 "$VP" timeserver --listen 127.0.0.1:0
expect_one_line_error "key-file"
expect_exit 2 "$VP" timeserver --key-file "$work/key" --listen nowhere
expect_one_line_error "listen"
expect_exit 2 "$VP" workload run cpu-gzip --preset small --rounds 1 --timeserver 127.0.0.1:9
expect_one_line_error "key-file"
expect_exit 2 "$VP" mark start --run 0123456789abcdef --appliance a --round 0 --key-file "$work/key"
expect_one_line_error "timeserver"
expect_exit 2 "$VP" mark start --run xyz --appliance a --round 0 --timeserver 127.0.0.1:9 \
    --key-file "$work/key"
expect_one_line_error "16 hex digits"
expect_exit 2 "$VP" timing show nonsense
expect_one_line_error "neither"
[[ $(sql "SELECT count(*) FROM runs" 2>/dev/null || echo 0) -eq 0 ]] || fail "a refused run was stored"

# nobody listening: exit 1, naming the server
expect_exit 1 "$VP" mark start --run 0123456789abcdef --appliance a --round 0 \
    --timeserver 127.0.0.1:9 --key-file "$work/key" --timeout 300ms
expect_one_line_error "127.0.0.1:9"

expect_exit 1 "$VP" workload run cpu-gzip --preset small --rounds 1 --timeserver 127.0.0.1:9 \
    --key-file "$work/key" --mark-timeout 300ms
grep -q "time server 127.0.0.1:9 did not acknowledge" "$work/err" || fail "run error: $(cat "$work/err")"
[[ $(sql "SELECT status FROM runs ORDER BY id DESC LIMIT 1") == failed ]] || fail "run not stored as failed"

# the first copy of a start mark lost: the round cannot be timed, the run fails
start_timeserver --drop-marks 1
expect_exit 1 "$VP" workload run cpu-gzip --preset small --rounds 1 --warmup 0 \
    --timeserver "$ts_addr" --key-file "$work/key"
grep -q "first copy of its start mark .* was lost" "$work/err" || fail "lost mark: $(cat "$work/err")"
stop_timeserver

# a benchmark wrapped in marks, the first two acks lost on the way back
start_timeserver --drop-acks 2
tok=$("$VP" mark token)
[[ $tok =~ ^[0-9a-f]{16}$ ]] || fail "token '$tok'"
m() { "$VP" mark "$1" --run "$tok" --appliance vm1 --round "$2" --timeserver "$ts_addr" \
    --key-file "$work/key" --json "${@:3}"; }
now() { date +%s.%N; }
t_a=$(now)
expect_exit 0 m start 0
jq -e '.end.copies == 3 and .end.stamped_copy == 1' "$work/out" >/dev/null ||
    fail "lost acks: $(cat "$work/out")"
sleep 0.3
expect_exit 0 m end 0
t_b=$(now)
expect_exit 0 m start 1
sleep 0.1
expect_exit 0 m end 1
t_c=$(now)
# the script ran it twice: another reading for the same mark is a replay,
# refused (the first counts) and so never acknowledged
expect_exit 1 m end 1 --timeout 200ms
# a mark with another key is refused and counted, and never acknowledged
head -c 32 /dev/urandom >"$work/other.key"
chmod 600 "$work/other.key"
expect_exit 1 "$VP" mark end --run "$tok" --appliance vm1 --round 2 --timeserver "$ts_addr" \
    --key-file "$work/other.key" --timeout 100ms
stop_timeserver

[[ $(counter accepted) -eq 4 ]] || fail "accepted $(counter accepted), expected 4: $(cat "$work/ts.out")"
[[ $(counter duplicates) -eq 2 ]] || fail "duplicates $(counter duplicates), expected 2"
[[ $(counter received) -eq $(($(counter accepted) + 2 + $(counter replayed) + $(counter bad_hmac))) ]] ||
    fail "received: $(cat "$work/ts.out")"
[[ $(counter acks_dropped) -eq 2 ]] || fail "acks_dropped"
[[ $(counter bad_hmac) -ge 1 ]] || fail "bad_hmac $(counter bad_hmac)"
[[ $(counter replayed) -ge 1 ]] || fail "replayed $(counter replayed)" # the second 'end 1'
[[ $(sql "SELECT count(*) FROM timing_marks WHERE run_token = '$tok'") -eq 4 ]] ||
    fail "store: $(sql "SELECT * FROM timing_marks")"

expect_exit 0 "$VP" timing show "$tok" --json
# each round at least its sleep, at most the time from before `mark start`
# to after `mark end` on this shell's clock
jq -e --argjson r0 "$(printf %.6f "$(echo "$t_b - $t_a" | bc -l)")" \
    --argjson r1 "$(printf %.6f "$(echo "$t_c - $t_b" | bc -l)")" \
    '(.rounds | length) == 2 and
     .rounds[0].external_s >= 0.3 and .rounds[0].external_s <= $r0 and
     .rounds[1].external_s >= 0.1 and .rounds[1].external_s <= $r1 and
     (.rounds[0].internal_s - .rounds[0].external_s | fabs) < 0.01 and
     .end.clock_distorted_rounds == 0' "$work/out" >/dev/null ||
    fail "timing show: $(cat "$work/out") (bounds $t_a $t_b $t_c)"

# SIGINT stops a server cleanly with its counters
start_timeserver
kill -INT "$ts_pid"
wait "$ts_pid" || fail "timeserver exited $? on SIGINT"
ts_pid=
grep -q '^received' "$work/ts.out" || fail "no counters on SIGINT"
echo ok
