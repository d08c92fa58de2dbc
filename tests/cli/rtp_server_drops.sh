#!/usr/bin/env bash
# An overloaded media server counts its own drops: one worker doing a
# 256-tap FIR per packet cannot keep up with 2000 streams (100k packets/s),
# its socket overflows, SO_RXQ_OVFL counts what was dropped, the host's UDP
# RcvbufErrors cross-check it, and once the server's backlog has come back
# (a long drain: 10 s, for the sanitizer build's slower server: its socket
# buffer holds seconds of packets) the client's loss is those drops.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rtp_lib.sh"
trap 'stop_media_server; rm -rf "$work"' EXIT

start_media_server --threads 1 --fir-taps 256 --json
# A server this far behind may drop every packet of the last interval (its
# buffer still full of older ones): the client then says nothing came back
# from then on and exits 1. Both endings are right; the drops are the test.
status=0
"$VP" rtp-client --server "127.0.0.1:$ms_port" --streams 2000 --duration 2s --drain 10s --json \
    >"$work/out" 2>"$work/err" || status=$?
[[ $status -eq 0 || ($status -eq 1 && $(cat "$work/err") == *"nothing came back"*) ]] ||
    fail "rtp-client exited $status: $(cat "$work/err")"
# every datagram is then either received or dropped, once the server has
# read what its socket still holds (a slow build may still be at it)
for _ in $(seq 300); do
    q=$(ss -Huan "sport = :$ms_port" | awk '{ s += $2 } END { print s + 0 }')
    [[ $q -eq 0 ]] && break
    sleep 0.1
done
[[ $q -eq 0 ]] || fail "the server's socket still holds $q bytes after 30 s"
stop_media_server
drops=$(jq .end.rxq_drops "$work/ms.out")
host=$(jq .end.udp_rcvbuf_errors_host "$work/ms.out")
lost=$(jq .end.lost "$work/out")
((drops > 10000)) || fail "server counted $drops drops: $(cat "$work/ms.out")"
((host >= drops)) || fail "host RcvbufErrors $host < the server's own $drops"
# beyond the drops, the client may only miss what was still queued when it stopped listening
((lost >= drops && lost <= drops + 2000)) || fail "client lost $lost, the server dropped $drops"
jq -e '.end | .received == .relayed and .received + .rxq_drops == 200000' "$work/ms.out" >/dev/null ||
    fail "server counters: $(cat "$work/ms.out")"
jq -e '.end.loss_pct > 10 and .end.self_check.rcvbuf_drops == 0' "$work/out" >/dev/null ||
    fail "client: $(jq -c '.end | {lost, loss_pct, self_check}' "$work/out")"
echo ok
