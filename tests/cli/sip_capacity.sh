#!/usr/bin/env bash
# sip-capacity against a sip-uas that spends 2 ms of CPU per call (so it
# cannot pass 500 calls/s on one worker): the search brackets and bisects,
# stores its steps, and reports a mean with a CI over 2 repeats.
source "$(dirname "$0")/sip_lib.sh"

port=$(free_port)
"$VP" sip-uas --listen "127.0.0.1:$port" --work-us 2000 --queue-limit 100 >/dev/null \
    2>"$work/uas.err" &
pids+=($!)
wait_for "$work/uas.err" listening
expect_exit 0 timeout 120 "$VP" sip-capacity --target "127.0.0.1:$port" --repeats 2 --step 500ms \
    --drain 500ms --settle 200ms --start 100 --max 1600 --precision 0.3 --t1 100ms --json
cp "$work/out" "$work/cap.json"
jq -e '.end.max_rate_per_repeat | length == 2' "$work/cap.json" >/dev/null || fail "2 repeats"
mean=$(json "$work/cap.json" .end.max_rate_mean)
limited=$(json "$work/cap.json" .end.generator_limited)
awk -v m="$mean" 'BEGIN { exit !(m < 600) }' || fail "capacity $mean calls/s beyond what 2 ms/call allows"
if [[ $limited == false ]]; then
    awk -v m="$mean" 'BEGIN { exit !(m >= 100) }' || fail "capacity $mean calls/s, expected >= 100"
    jq -e '[.rounds[] | select(.verdict == "fail")] | length >= 2' "$work/cap.json" >/dev/null ||
        fail "no failing step bracketed the search"
fi
steps=$(jq '.rounds | length' "$work/cap.json")
run_id=$(json "$work/cap.json" .start.run_id)
[[ $(sql "SELECT count(*) FROM sip_capacity_steps WHERE run_id = $run_id") -eq $steps ]] ||
    fail "steps not stored"
[[ $(sql "SELECT kind || ' ' || capacity_n FROM sip_runs WHERE id = $run_id") == "capacity 2" ]] ||
    fail "capacity run row"
# bad criteria are input errors
expect_exit 2 "$VP" sip-capacity --target "127.0.0.1:$port" --start 500 --max 100
expect_one_line_error start
echo ok
