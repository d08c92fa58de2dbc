#!/usr/bin/env bash
# virtperf router --platform vm: a router that is a QEMU guest (its kernel
# forwards) on the direct path (its cards are macvtaps of the test bed's
# wires) finds a rate and answers echoes; every trial is counted exactly
# (nothing arrives that was not sent, or unforwarded); the run stores what
# the router was, with the accelerator it ran under; and a run killed
# while its router boots leaves no QEMU, and `virtperf cleanup` nothing of
# it. Needs root and QEMU (skipped otherwise).
. "$(dirname "$0")/lib.sh"

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86 not installed"; exit 77; }
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"
qemus() { pgrep -f -- "qemu-system.*-name vp-[^ ]*-router[0-9]," | wc -l; }

expect_exit 2 "$VP" router --platform xen
expect_one_line_error "platform"

# a low rate: a TCG guest forwards some thousands of frames a second
expect_exit 0 "$VP" router --platform vm --path direct --routes 1000 --trial 0.3s --repeats 1 --start 500 \
    --max 2000 --echoes 20 --json
j() { jq -r "$1" "$work/out"; }
[[ $(j '.start.platform.name') == vm ]] || fail "platform: $(j '.start.platform')"
accel=$(j '.start.platform.accel')
[[ $accel == tcg || $accel == kvm ]] || fail "accel: $accel"
[[ $(j '[.rounds[] | select(.received > .sent or .not_forwarded != 0 or .sent == 0)] | length') -eq 0 ]] ||
    fail "the sink counted what was not sent or not forwarded: $(j '.rounds')"
rate=$(j '.end.rate_mean')
awk -v r="$rate" 'BEGIN { exit !(r > 0) }' || fail "no rate: $(j '.rounds')"
[[ $(j '.end.latency_idle.received') -ge 18 ]] || fail "idle echoes: $(j '.end.latency_idle')"
id=$(j '.start.run_id')
[[ $(sql "SELECT json_extract(platform, '\$.name') || ' ' || json_extract(platform, '\$.accel')
          FROM router_runs WHERE id = $id") == "vm $accel" ]] || fail "run $id: platform not stored"
echo "a $accel VM router on the direct path: $rate frames/s"
[[ $(qemus) -eq 0 ]] || fail "QEMU left after the run"

# killed while its router boots: QEMU goes with it, cleanup removes the rest
"$VP" router --platform vm --routes 1000 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
    [[ $(qemus) -ge 1 ]] && break
    sleep 0.1
done
[[ $(qemus) -ge 1 ]] || fail "no QEMU started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
for _ in $(seq 50); do
    [[ $(qemus) -eq 0 ]] && break
    sleep 0.1
done
[[ $(qemus) -eq 0 ]] || fail "QEMU outlived the run"
expect_exit 0 "$VP" cleanup
[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
echo "router_vm: ok"
