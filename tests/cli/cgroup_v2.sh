#!/usr/bin/env bash
# cgroup v2 limits enforced by a kernel (issue 18): this host is v1, so a
# guest boots v2-only (QEMU TCG, -smp 2, cgroup_no_v1=all
# systemd.unified_cgroup_hierarchy=1; guest/init mounts cgroup2 on
# /sys/fs/cgroup) from virtperf's image plus tests/guest/cgroup_v2.c, a
# static program with virtperf's cgroup module (platform/cgroup.c) in it,
# run through the agent. It makes groups with weight, cap, cpus and memory
# and checks the kernel enforces each (see that file). Its timing bounds
# are judged only when the guest's busy CPU 0 had its host CPU: a vCPU
# thread kept waiting by other work on this host (schedstat) skips them (77).
. "$(dirname "$0")/lib.sh"
guest=${CGROUP_V2_GUEST:?CGROUP_V2_GUEST must name tests/guest/cgroup_v2.c built}
agent=${VIRTPERF_GUEST_AGENT:?VIRTPERF_GUEST_AGENT must name virtperf-guest}
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86 not installed"; exit 77; }
command -v cpio >/dev/null || { echo "SKIP: cpio not installed"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) not installed"; exit 77; }

qemu=
cleanup() {
    if [[ -n $qemu ]]; then kill "$qemu" 2>/dev/null || true; wait "$qemu" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# the vm platform's image (cached, shared with the vm tests), and the
# program appended to its initramfs as a second cpio archive
gi=$(dirname "$0")/../../scripts/guest-image
rc=0
img=$("$gi" --agent "$agent" 2>"$work/gi.err") || rc=$?
((rc != 2)) || { echo "SKIP: $(cat "$work/gi.err")"; exit 77; }
((rc == 0)) || fail "guest-image: $(cat "$work/gi.err")"
mkdir -p "$work/root/bin"
install -m 755 "$guest" "$work/root/bin/cgroup-v2-check"
cp "$img/initramfs.img" "$work/initrd"
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >>"$work/initrd"

# QEMU dies with this shell (setpriv execs it: $! is QEMU's pid)
start=$EPOCHREALTIME
setpriv --pdeathsig KILL -- qemu-system-x86_64 -name "vpt-cgv2,debug-threads=on" \
    -accel tcg,thread=multi -cpu max -smp 2 -m 256 -nodefaults -no-user-config -nographic \
    -no-reboot -serial "file:$work/console" -kernel "$img/vmlinuz" -initrd "$work/initrd" \
    -append "console=ttyS0 panic=-1 quiet cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1" \
    -device virtio-serial-pci -chardev "socket,id=a0,path=$work/a0.sock,server=on,wait=off" \
    -device virtserialport,chardev=a0,name=vp.agent.0 </dev/null >"$work/qemu.out" 2>&1 &
qemu=$!
guest_exec() {
    "$VP" guest-exec --agent "$work/a0.sock" -- "$@"
}
# the agent answers once its port is open; a request sent before that may
# go unheard, so each try gives up after 1 s of silence
ready=
for _ in $(seq 60); do
    kill -0 "$qemu" 2>/dev/null || break
    if grep -q 'virtperf-guest: ready' "$work/console" 2>/dev/null &&
        VIRTPERF_GUEST_SILENCE_MS=1000 guest_exec true >/dev/null 2>&1; then
        ready=$(bc <<<"$EPOCHREALTIME - $start")
        break
    fi
    sleep 0.2
done
[[ -n $ready ]] || fail "the guest did not come up; console: $(tail -5 "$work/console"); qemu: $(cat "$work/qemu.out")"
grep -q 'virtperf-guest: .*; cgroup v2' "$work/console" || fail "guest/init mounted no cgroup2: $(grep 'virtperf-guest: ' "$work/console")"
echo "guest up in ${ready}s (TCG)"

# on-CPU and run-queue time (ns) of QEMU's thread for vCPU N
vcpu_times() {
    local t
    for t in /proc/"$qemu"/task/*; do
        if [[ $(cat "$t/comm" 2>/dev/null) == "CPU $1/TCG" ]]; then
            cut -d' ' -f1,2 "$t/schedstat"
            return
        fi
    done
    fail "no thread 'CPU $1/TCG' in QEMU $qemu"
}
read -r run0 wait0 < <(vcpu_times 0)
other_work_begin "$qemu"
rc=0
guest_exec /bin/cgroup-v2-check >"$work/guest.out" 2>&1 || rc=$?
other_work_end "$qemu"
read -r run1 wait1 < <(vcpu_times 0)
sed 's/^/  guest: /' "$work/guest.out"
busy=$(awk '$1 == "busy_s" { print $2 }' "$work/guest.out")
# the guest's CPU 0 spun for busy_s: its vCPU thread ran all that time
# unless other work on this host kept it waiting for a CPU
if [[ -n $busy ]]; then
    ran=$(bc -l <<<"($run1 - $run0) / 1000000000")
    waited=$(bc -l <<<"($wait1 - $wait0) / 1000000000")
    printf 'vCPU 0 ran %.2f s, waited %.2f s for a host CPU, its guest CPU busy %s s; other work %d%%\n' \
        "$ran" "$waited" "$busy" "$other_pct"
fi
case $rc in
0) ;;
3)
    [[ -n $busy ]] || fail "the guest program printed no busy_s"
    if (($(bc <<<"$waited > 0.2 * $busy"))); then
        skip_judgement "timing bounds missed while vCPU 0 waited $(printf %.2f "$waited") s for a host CPU"
    else
        fail "timing bounds missed with the guest's CPU 0 running on its own host CPU"
    fi
    ;;
*) fail "the guest program exited $rc" ;;
esac
kill "$qemu"
wait "$qemu" 2>/dev/null || true
qemu=
end_test
