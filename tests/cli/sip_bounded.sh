#!/usr/bin/env bash
# sip-uas under INVITEs from 50,000 Call-IDs that never ACK (what spoofed
# sources look like): its call table stops at --max-calls, the rest get 503
# without state, so its memory (VmRSS) stops growing once the table is full;
# 200 retransmissions stay under --max-retransmits a second; after Timer H
# (64*T1) the table is empty again and real calls succeed.
source "$(dirname "$0")/sip_lib.sh"

max=5000
port=$(free_port)
"$VP" sip-uas --listen "127.0.0.1:$port" --max-calls $max --max-retransmits 100 --t1 100ms \
    --queue-limit 0 --json >"$work/uas.json" 2>"$work/uas.err" &
uas_pid=$!
pids+=($uas_pid)
wait_for "$work/uas.err" listening
started=$(date +%s.%N)
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$uas_pid/status"; }

# flood FIRST COUNT: INVITEs with Call-IDs FIRST.. at about 20,000 a second
# from one socket that never reads the answers (so never ACKs).
flood() {
    python3 - "$port" "$1" "$2" <<'EOF'
import socket, sys, time
port, first, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
me = s.getsockname()[1]
for i in range(first, first + count):
    s.sendto((f"INVITE sip:uas@127.0.0.1:{port} SIP/2.0\r\n"
              f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-spoof-{i}\r\n"
              f"From: <sip:spoof@127.0.0.1>;tag=s{i}\r\n"
              f"To: <sip:uas@127.0.0.1>\r\n"
              f"Call-ID: spoof-{i}@127.0.0.1\r\n"
              f"CSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
              f"Contact: <sip:spoof@127.0.0.1:{me}>\r\nContent-Length: 0\r\n\r\n").encode(),
             ("127.0.0.1", port))
    if i % 200 == 199:
        time.sleep(0.01)
EOF
}

rss0=$(rss)
flood 0 $((2 * max)) # fills the table: 5,000 entries, 5,000 stateless 503s
sleep 0.3
rss1=$(rss)
flood $((2 * max)) $((8 * max)) # 40,000 more: all should be stateless 503s
sleep 0.3
rss2=$(rss)
filled=$(date +%s.%N)
echo "VmRSS: $rss0 kB at start, $rss1 kB with the table full, $rss2 kB after 8x as many INVITEs again"
grow1=$((rss1 - rss0)) grow2=$((rss2 - rss1))
# the first 10,000 INVITEs made 5,000 entries; 40,000 more must not cost as much
((grow2 * 2 < grow1 || grow2 < 1024)) ||
    fail "VmRSS grew $grow2 kB over 40,000 INVITEs into a full table (filling it: $grow1 kB)"
# entries of the first flood expire 6.4 s after it: a flood slower than that
# (a busy host) refills the table, and the count of stateless 503s is moot
slow=$(awk -v s="$started" -v f="$filled" 'BEGIN { print (f - s > 6) }')
((slow == 0)) || skip_judgement "the flood took over 6 s (Timer H): host busy"

# Timer H is 6.4 s after each entry's 200: then the table is empty and a real
# call gets through (it would get 503 while the flood's entries lasted)
sleep "$(awk -v f="$filled" -v n="$(date +%s.%N)" 'BEGIN { w = 7.2 - (n - f); print (w > 0 ? w : 0) }')"
expect_exit 0 "$VP" sip-uac --target "127.0.0.1:$port" --rate 50 --calls 20 --duration 2s \
    --t1 100ms --json
[[ $(json "$work/out" .end.successful) -eq 20 ]] ||
    fail "after Timer H: $(json "$work/out" .end.successful) of 20 calls successful"

kill -TERM "$uas_pid"
wait "$uas_pid" || fail "sip-uas did not stop cleanly"
pids=()
elapsed=$(awk -v s="$started" -v n="$(date +%s.%N)" 'BEGIN { print n - s }')
c() { json "$work/uas.json" ".end.$1"; }
echo "counters: $(jq -c '.end | {invites, sent_100, sent_503, calls_max, rejected_table_full,
    retransmitted_200, retransmissions_suppressed}' "$work/uas.json"), ${elapsed}s"
[[ $(c calls_max) -eq $max ]] || fail "call table high-water mark $(c calls_max), expected $max"
(($(c invites) >= 20000)) || fail "only $(c invites) INVITEs arrived"
(($(c sent_100) + $(c sent_503) + $(c retransmissions_absorbed) == $(c invites))) ||
    fail "INVITEs not all answered 100 or 503"
if ((slow == 0)); then
    (($(c rejected_table_full) >= $(c invites) - $(c retransmissions_absorbed) - max - 20)) ||
        fail "$(c rejected_table_full) stateless 503s for $(c invites) INVITEs into $max entries"
fi
awk -v r="$(c retransmitted_200)" -v e="$elapsed" 'BEGIN { exit !(r <= 100 * e + 100) }' ||
    fail "$(c retransmitted_200) 200 retransmissions in ${elapsed}s, ceiling 100/s"
(($(c retransmissions_suppressed) > 0)) || fail "no retransmission reached the ceiling"
end_test
