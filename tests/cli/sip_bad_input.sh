#!/usr/bin/env bash
# SIP bad input: malformed responses are counted per cause and the run goes
# on; a server that stops answering gives timer B timeouts in the interval
# stats and the command still ends at its deadline; an unreachable target, a
# port in use and impossible rates are one-line errors with exit 2.
source "$(dirname "$0")/sip_lib.sh"

# impossible rates and ramps
expect_exit 2 "$VP" sip-uac --target 127.0.0.1:5060 --rate 0
expect_one_line_error rate
expect_exit 2 "$VP" sip-uac --target 127.0.0.1:5060 --rate 1e9
expect_one_line_error rate
expect_exit 2 "$VP" sip-uac --target 127.0.0.1:5060 --ramp 100,10,1s,50
expect_one_line_error ramp
expect_exit 2 "$VP" sip-uac --target 127.0.0.1:5060 --ramp 100,x,1s,500
expect_one_line_error ramp
expect_exit 2 "$VP" sip-uac --rate 10
expect_one_line_error target
expect_exit 2 "$VP" sip-uac --target nowhere:5060
expect_one_line_error target

# unreachable target: nothing listens on the port
port=$(free_port)
expect_exit 2 timeout 20 "$VP" sip-uac --target "127.0.0.1:$port" --rate 20 --duration 2s
expect_one_line_error unreachable

# port in use (by a socket without SO_REUSEPORT)
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1]))); time.sleep(30)' "$port" &
pids+=($!)
wait_udp "$port"
expect_exit 2 timeout 10 "$VP" sip-uas --listen "127.0.0.1:$port"
expect_one_line_error "in use"
stop_peers

# a server that stops answering: timer B (64*T1 = 3.2 s with T1 = 50 ms)
port=$(free_port)
"$VP" sip-uas --listen "127.0.0.1:$port" 2>"$work/uas.err" >/dev/null &
uas_pid=$!
pids+=($uas_pid)
wait_for "$work/uas.err" listening
kill -STOP "$uas_pid"
start=$(date +%s%N)
expect_exit 0 timeout 30 "$VP" sip-uac --target "127.0.0.1:$port" --rate 50 --duration 1s \
    --t1 50ms --json --interval 500ms
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
kill -CONT "$uas_pid"
cp "$work/out" "$work/silent.json"
created=$(json "$work/silent.json" .end.created)
[[ $created -eq 50 ]] || fail "created $created calls, expected 50"
[[ $(json "$work/silent.json" .end.failed_by_cause.timeout) -eq 50 ]] ||
    fail "expected 50 timeouts, got $(json "$work/silent.json" .end.failed_by_cause.timeout)"
[[ $(json "$work/silent.json" .end.retransmissions) -ge 250 ]] ||
    fail "timer A: too few retransmissions ($(json "$work/silent.json" .end.retransmissions))"
# the timeouts show in the intervals after 64*T1, none before
first=$(jq '[.intervals[] | select(.failed_by_cause.timeout > 0) | .t_s] | min' "$work/silent.json")
awk -v t="$first" 'BEGIN { exit !(t >= 3.0 && t <= 4.5) }' ||
    fail "first timeouts in the interval at $first s, expected 3..4.5 s"
# deadline: duration + 64*T1 and a little
((elapsed_ms < 6500)) || fail "sip-uac took $elapsed_ms ms, deadline is ~4.2 s"
stop_peers

# malformed responses from the server under test: counted by cause
if command -v sipp >/dev/null; then
    port=$(free_port)
    sipp -sf "$SIP_DATA/bad_uas.xml" -i 127.0.0.1 -p "$port" -nostdin >"$work/sipp.out" 2>&1 &
    pids+=($!)
    wait_udp "$port"
    expect_exit 0 timeout 30 "$VP" sip-uac --target "127.0.0.1:$port" --rate 50 --duration 1s --json
    cp "$work/out" "$work/bad.json"
    [[ $(json "$work/bad.json" .end.created) -eq 50 ]] || fail "malformed: created"
    [[ $(json "$work/bad.json" .end.malformed_by_cause.cseq) -eq 50 ]] ||
        fail "malformed 100s not counted as cseq: $(jq -c .end.malformed_by_cause "$work/bad.json")"
    [[ $(json "$work/bad.json" '.end.failed_by_cause["5xx"]') -eq 50 ]] || fail "503s not counted"
    stop_peers
fi
echo ok
