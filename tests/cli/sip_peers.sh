#!/usr/bin/env bash
# SIP against real peers on loopback: SIPp's UAC against virtperf sip-uas,
# virtperf sip-uac against SIPp's UAS, and virtperf sip-uac through a Kamailio
# stateful proxy to virtperf sip-uas. Every call must succeed.
source "$(dirname "$0")/sip_lib.sh"
command -v sipp >/dev/null || { echo "SKIP: sipp (sip-tester) not installed"; exit 77; }

# 1. sipp -sn uac -> virtperf sip-uas: 500 calls/s for 5 s (the issue says
#    10 s; 5 s keeps the suite within its time budget, same rate).
uas_port=$(free_port)
"$VP" sip-uas --listen "127.0.0.1:$uas_port" --json >"$work/uas.json" 2>"$work/uas.err" &
pids+=($!)
uas_pid=$!
wait_for "$work/uas.err" listening
sipp -sn uac "127.0.0.1:$uas_port" -i 127.0.0.1 -p "$(free_port)" -r 500 -m 2500 -nostdin \
    -timeout 30s -trace_stat -stf "$work/sipp_uac.csv" >"$work/sipp_uac.out" 2>&1 ||
    { tail -5 "$work/sipp_uac.out" >&2; fail "sipp uac saw failed calls against sip-uas"; }
kill -TERM "$uas_pid"
wait "$uas_pid" || fail "sip-uas did not stop cleanly on SIGTERM"
pids=()
[[ $(json "$work/uas.json" .end.calls_completed) -eq 2500 ]] ||
    fail "sip-uas completed $(json "$work/uas.json" .end.calls_completed) of 2500 calls"
[[ $(json "$work/uas.json" .end.malformed) -eq 0 ]] || fail "sip-uas saw malformed messages"
tail -1 "$work/sipp_uac.csv" | awk -F';' '{ if ($16 != 2500 || $18 != 0) exit 1 }' ||
    fail "sipp's statistics: not 2500 successful, 0 failed"

# 1b. the plan: a ramp, a concurrency limit with hold, a call count; the UAS
#     with CPU work and an fsync'ed call record per call
uas_port=$(free_port)
"$VP" sip-uas --listen "127.0.0.1:$uas_port" --threads 2 --work-us 200 --disk-log "$work/calls.log" \
    --sync fsync --json >"$work/uas3.json" 2>"$work/uas3.err" &
pids+=($!)
uas_pid=$!
wait_for "$work/uas3.err" listening
expect_exit 0 "$VP" sip-uac --target "127.0.0.1:$uas_port" --ramp 100,100,1s,300 --duration 3s --json
cp "$work/out" "$work/ramp.json"
jq -e '[.intervals[0:3][] | .planned_rate] == [100, 200, 300]' "$work/ramp.json" >/dev/null ||
    fail "ramp plan: $(jq -c '[.intervals[] | .planned_rate]' "$work/ramp.json")"
# created per interval follows the plan (±3 calls for the interval edges)
jq -e '[.intervals[0:3][] | .created] as $c | ($c[0] - 100 | fabs) <= 3 and ($c[1] - 200 | fabs) <= 3
    and ($c[2] - 300 | fabs) <= 3' "$work/ramp.json" >/dev/null ||
    fail "ramp: created per interval $(jq -c '[.intervals[] | .created]' "$work/ramp.json")"
[[ $(json "$work/ramp.json" .end.successful) -eq 600 ]] || fail "ramp: not all 600 calls successful"
expect_exit 0 "$VP" sip-uac --target "127.0.0.1:$uas_port" --rate 100 --duration 2s --hold 1s \
    --max-concurrent 50 --json
cp "$work/out" "$work/limit.json"
created=$(json "$work/limit.json" .end.created)
limited=$(json "$work/limit.json" .end.limited)
((created + limited == 200 && limited >= 80 && $(json "$work/limit.json" .end.self_check.max_active_calls) <= 50)) ||
    fail "max-concurrent 50 with 1 s hold at 100/s: created $created, limited $limited"
[[ $(json "$work/limit.json" .end.successful) -eq $created ]] || fail "held calls failed"
expect_exit 0 "$VP" sip-uac --target "127.0.0.1:$uas_port" --rate 500 --calls 123 --duration 10s --json
[[ $(jq .end.successful "$work/out") -eq 123 ]] || fail "--calls 123: $(jq .end.successful "$work/out")"
kill -TERM "$uas_pid"
wait "$uas_pid" || fail "sip-uas did not stop cleanly"
pids=()
total=$((600 + created + 123))
[[ $(wc -l <"$work/calls.log") -eq $total ]] || fail "call records: $(wc -l <"$work/calls.log"), expected $total"

# 2. virtperf sip-uac -> sipp -sn uas
sipp_port=$(free_port)
sipp -sn uas -i 127.0.0.1 -p "$sipp_port" -nostdin >"$work/sipp_uas.out" 2>&1 &
pids+=($!)
wait_udp "$sipp_port"
expect_exit 0 "$VP" sip-uac --target "127.0.0.1:$sipp_port" --rate 200 --duration 2s --hold 100ms \
    --json --interval-csv "$work/iv.csv"
cp "$work/out" "$work/uac_sipp.json"
created=$(json "$work/uac_sipp.json" .end.created)
[[ $created -eq 400 ]] || fail "sip-uac created $created calls, expected 400"
[[ $(json "$work/uac_sipp.json" .end.successful) -eq 400 ]] ||
    fail "sip-uac -> sipp uas: $(json "$work/uac_sipp.json" .end.successful) of 400 successful"
[[ $(json "$work/uac_sipp.json" .end.invite_200.count) -eq 400 ]] || fail "INVITE->200 samples"
[[ $(wc -l <"$work/iv.csv") -ge 3 ]] || fail "interval CSV too short"
run_id=$(json "$work/uac_sipp.json" .start.run_id)
[[ $(sql "SELECT successful FROM sip_runs WHERE id = $run_id") -eq 400 ]] || fail "run not in the store"
[[ $(sql "SELECT sum(successful) FROM sip_intervals WHERE run_id = $run_id") -eq 400 ]] ||
    fail "intervals not stored"
[[ $(sql "SELECT sum(count) FROM sip_latency_hist WHERE run_id = $run_id AND series = 'inv200'") -eq 400 ]] ||
    fail "INVITE->200 histogram not stored"
stop_peers

# 3. virtperf sip-uac -> Kamailio (tm, sl, rr) -> virtperf sip-uas
if command -v kamailio >/dev/null; then
    uas_port=$(free_port)
    kam_port=$(free_port)
    sed -e "s/@KAM_PORT@/$kam_port/" -e "s/@UAS_PORT@/$uas_port/" "$SIP_DATA/kamailio.cfg" \
        >"$work/kamailio.cfg"
    mkdir -p "$work/kam"
    kamailio -c -f "$work/kamailio.cfg" >"$work/kam-check.out" 2>&1 ||
        { cat "$work/kam-check.out" >&2; fail "kamailio -c rejects tests/data/sip/kamailio.cfg"; }
    "$VP" sip-uas --listen "127.0.0.1:$uas_port" --ringing --json >"$work/uas2.json" \
        2>"$work/uas2.err" &
    pids+=($!)
    uas_pid=$!
    kamailio -DD -E -f "$work/kamailio.cfg" -w "$work/kam" -Y "$work/kam" >"$work/kam.log" 2>&1 &
    pids+=($!)
    wait_for "$work/uas2.err" listening
    wait_udp "$kam_port"
    expect_exit 0 "$VP" sip-uac --target "127.0.0.1:$kam_port" --rate 200 --duration 3s --json
    cp "$work/out" "$work/uac_kam.json"
    [[ $(json "$work/uac_kam.json" .end.created) -eq 600 ]] || fail "via kamailio: created"
    [[ $(json "$work/uac_kam.json" .end.successful) -eq 600 ]] ||
        fail "via kamailio: $(json "$work/uac_kam.json" .end.successful) of 600 successful"
    kill -TERM "$uas_pid"
    wait "$uas_pid" || fail "sip-uas did not stop cleanly"
    [[ $(json "$work/uas2.json" .end.calls_completed) -eq 600 ]] ||
        fail "sip-uas behind kamailio completed $(json "$work/uas2.json" .end.calls_completed)"
    [[ $(json "$work/uas2.json" .end.sent_180) -eq 600 ]] || fail "no 180 with --ringing"
else
    echo "kamailio not installed: proxy case skipped" >&2
fi
echo "ok"
