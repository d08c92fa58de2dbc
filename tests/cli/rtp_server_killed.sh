#!/usr/bin/env bash
# A media server killed mid-run: from then on nothing comes back (100% loss
# in every later interval), the client still ends at its deadline, stores
# the run as server_silent and says so in one line, exit 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rtp_lib.sh"
trap 'stop_media_server; rm -rf "$work"' EXIT

start_media_server --threads 1
t0=$(date +%s%N)
"$VP" rtp-client --server "127.0.0.1:$ms_port" --streams 100 --duration 4s --interval 500ms \
    --drain 300ms --json >"$work/out" 2>"$work/err" &
cpid=$!
sleep 1.5
kill -KILL "$ms_pid"
wait "$ms_pid" 2>/dev/null || true
ms_pid=
rc=0
wait "$cpid" || rc=$?
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
[[ $rc -eq 1 ]] || fail "client exited $rc, expected 1: $(cat "$work/err")"
# deadline: 4 s of sending + 0.3 s drain + start-up; it must not hang
((elapsed_ms < 5500)) || fail "client took $elapsed_ms ms"
expect_one_line_error "nothing came back from the media server"
jq -e '.end.status == "server_silent" and .end.server_silent_from_s >= 1 and
       .end.server_silent_from_s <= 2 and (.error | test("nothing came back"))' "$work/out" >/dev/null ||
    fail "status: $(jq -c '.end | {status, server_silent_from_s}' "$work/out")"
# before the kill: nothing lost; after: everything
jq -e '[.intervals[] | select(.t_s < 1.0) | .loss_pct] | all(. == 0)' "$work/out" >/dev/null ||
    fail "loss before the kill: $(jq -c '[.intervals[].loss_pct]' "$work/out")"
jq -e '[.intervals[] | select(.t_s >= 2.0) | .loss_pct] | all(. == 100)' "$work/out" >/dev/null ||
    fail "loss after the kill: $(jq -c '[.intervals[].loss_pct]' "$work/out")"
jq -e '.end.sent == 20000 and .end.loss_pct > 50 and .end.loss_pct < 75' "$work/out" >/dev/null ||
    fail "totals: $(jq -c '.end | {sent, received, loss_pct}' "$work/out")"
[[ $(sql "SELECT status FROM rtp_runs") == server_silent ]] || fail "stored status"
echo ok
