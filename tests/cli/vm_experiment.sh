#!/usr/bin/env bash
# Experiments on the vm and libvirt platforms: cpu-pi and disk-zfg at their
# small presets run in guests, and a SIP and a media server in guests
# answer loads from the host over a bridge and a routed path. Every round is
# stored with the guest's elapsed and the host's (from the guest's marks),
# and the run with its platform (the accelerator named: accel auto resolves
# to what works here, the same for every point). Bad input is a one-line
# error before anything exists (a time server out of the guests' reach
# too). A runner killed with SIGKILL mid-point
# leaves no QEMU (it dies with the runner), and `virtperf cleanup` removes
# the rest: nothing of the run remains.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (cgroups)"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86 not installed"; exit 77; }

export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"
qemus() { # live QEMU processes of this test's appliances (-name vp-RUN-vmt-...)
    pgrep -f -- "-name (guest=)?vp-[a-z0-9]+-vmt-" | wc -l
}
scratch() { # the scratch disks' directories in /var/tmp
    find /var/tmp -maxdepth 1 -name 'virtperf-*-vm-disk.*' | wc -l
}
disks0=$(scratch)

libvirt=libvirt
virsh -c qemu:///system version >/dev/null 2>&1 || { libvirt=; echo "libvirtd not there: vm only"; }

exp() { # ACCEL ROUNDS → $work/e.yaml: cpu-pi and disk-zfg in vm guests, cpu-pi in libvirt's
    cat >"$work/e.yaml" <<EOF
platform: vm
accel: $1
rounds: $2
warmup: 1
profile-interval: 500ms
appliances:
  - {name: vmt-pi, workload: cpu-pi, preset: small}
  - {name: vmt-disk, workload: disk-zfg, preset: small, disk: 256M}
cases:
  - {label: vm}
${libvirt:+  - {label: libvirt, platform: libvirt, vmt-disk.count: 0\}}
EOF
}

# accel auto: kvm where a guest boots under it, else tcg; either way named
exp auto 2
expect_exit 0 "$VP" run "$work/e.yaml" --json
[[ $(jq -r .end.status "$work/out") == complete ]] || fail "status: $(cat "$work/out")"
accel=$(sql "SELECT json_extract(platform, '$.accel') FROM runs ORDER BY id LIMIT 1")
[[ $accel == kvm || $accel == tcg ]] || fail "accel auto stored as '$accel'"
echo "accel auto: $accel"
for platform in vm $libvirt; do
    apps="vmt-pi vmt-disk"
    [[ $platform == vm ]] || apps=vmt-pi
    for app in $apps; do
        id=$(sql "SELECT run_id FROM point_runs JOIN runs ON runs.id = run_id
                  WHERE appliance = '$app' AND json_extract(platform, '$.name') = '$platform'")
        [[ -n $id ]] || fail "$platform $app: no run"
        [[ $(sql "SELECT status || ' ' || json_extract(platform, '$.accel') FROM runs
                  WHERE id = $id") == "complete $accel" ]] || fail "$platform $app: run $id"
        # each round (warm-up included) with both figures, their ratio, and
        # the distortion flag wherever they part (under TCG on a busy host a
        # guest's clock can run off from the host's: that is data, flagged;
        # 1% and 2 ms are the default thresholds of the flag)
        [[ $(sql "SELECT count(*) FROM timing_rounds WHERE run_id = $id AND internal_s > 0
                  AND external_s > 0 AND abs(ratio - internal_s / external_s) < 1e-6
                  AND (clock_distorted = 1 OR abs(internal_s - external_s) <= 0.01 * external_s
                                     OR abs(internal_s - external_s) <= 0.002)") -eq 3 ]] ||
            fail "$platform $app: timing rows $(sql "SELECT * FROM timing_rounds WHERE run_id = $id")"
    done
done
# the profiler saw each VM from outside
[[ $(sql "SELECT count(DISTINCT profile_id) FROM profile_samples
          WHERE target = 'vmt-pi' AND metric = 'cpu.total'") -eq $((${libvirt:+1} + 1)) ]] ||
    fail "no profile samples of a VM"
id=$(sql "SELECT run_id FROM point_runs WHERE appliance = 'vmt-pi' ORDER BY run_id LIMIT 1")
expect_exit 0 "$VP" results show "$id"
grep -q '^platform {.*"accel":"'"$accel"'"' "$work/out" || fail "results show: $(head -5 "$work/out")"
grep -q "external_elapsed the host's, from the guest's marks" "$work/out" ||
    fail "results show: no external figure"

# telephony in VMs: a SIP server on the bridge and a media server on the
# routed path, each in its guest, driven from the host over the network
cat >"$work/tel.yaml" <<EOF
platform: vm
accel: tcg
rounds: 1
profile-interval: 0
appliances:
  - {name: vmt-sip, role: sip-server, net: bridge}
  - {name: vmt-media, role: media-server, net: routed}
loads:
  - {driver: sip-uac, target: vmt-sip, duration: 2s, rate: 50}
  - {driver: rtp, target: vmt-media, duration: 2s, streams: 10}
EOF
expect_exit 0 "$VP" run "$work/tel.yaml" --json
[[ $(sql "SELECT created || ' ' || successful FROM sip_runs ORDER BY id DESC LIMIT 1") == "100 100" ]] ||
    fail "SIP in a VM: $(sql "SELECT * FROM sip_runs ORDER BY id DESC LIMIT 1")"
[[ $(sql "SELECT sent || ' ' || received FROM rtp_runs ORDER BY id DESC LIMIT 1") == "1000 1000" ]] ||
    fail "RTP through a VM: $(sql "SELECT * FROM rtp_runs ORDER BY id DESC LIMIT 1")"
[[ $(sql "SELECT count(*) FROM point_services WHERE counters IS NOT NULL AND address LIKE '10.213.%'") -eq 2 ]] ||
    fail "servers' counters: $(sql "SELECT * FROM point_services")"

# bad input: one line, exit 2, nothing made
sed -i 's/preset: small}/preset: small, memory: 100T}/' "$work/e.yaml"
expect_exit 2 "$VP" run "$work/e.yaml"
expect_one_line_error "memory"
exp kvm 1
if [[ $accel == tcg ]]; then
    expect_exit 2 "$VP" run "$work/e.yaml"
    expect_one_line_error "accel kvm: "
fi
exp warp 1
expect_exit 2 "$VP" run "$work/e.yaml"
expect_one_line_error "e.yaml:2:8: accel warp"
# a time server the guests' marks cannot reach: no network, or a loopback address
head -c 32 /dev/urandom >"$work/key" && chmod 600 "$work/key"
exp tcg 1
printf 'timeserver: 127.0.0.1:9\nkey-file: %s\n' "$work/key" >>"$work/e.yaml"
expect_exit 2 "$VP" run "$work/e.yaml"
expect_one_line_error "cannot reach time server 127.0.0.1:9 from platform vm: give it net"
sed -i 's/preset: small/preset: small, net: routed/' "$work/e.yaml"
expect_exit 2 "$VP" run "$work/e.yaml"
expect_one_line_error "time server 127.0.0.1:9 is a loopback or unspecified address"
[[ $(qemus) -eq 0 ]] || fail "QEMU left after the runs"

# SIGKILL of the runner in the middle of a point
cat >"$work/k.yaml" <<EOF
platform: vm
accel: tcg
rounds: 100
profile-interval: 0
appliances:
  - {name: vmt-pi, workload: cpu-pi, preset: small}
EOF
"$VP" run "$work/k.yaml" >"$work/kill.out" 2>&1 &
runner=$!
before=$(sql "SELECT count(*) FROM rounds")
for _ in $(seq 300); do
    [[ $(sql "SELECT count(*) FROM rounds") -ge $((before + 2)) ]] && break
    sleep 0.1
done
[[ $(qemus) -eq 1 ]] || fail "expected a QEMU process running, saw $(qemus)"
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
for _ in $(seq 50); do [[ $(qemus) -eq 0 ]] && break; sleep 0.1; done
[[ $(qemus) -eq 0 ]] || fail "QEMU outlived its runner"
[[ -n $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "the killed run left no journal to replay"
expect_exit 0 "$VP" cleanup --json
jq -e '.end.failed == 0' "$work/out" >/dev/null || fail "cleanup: $(cat "$work/out")"
[[ -z $(ls -A "$VIRTPERF_RUNDIR" 2>/dev/null) ]] || fail "left in the run directory: $(ls -A "$VIRTPERF_RUNDIR")"
[[ $(scratch) -eq $disks0 ]] || fail "a scratch disk was left in /var/tmp"
[[ -z $(find /sys/fs/cgroup -maxdepth 4 -path "*virtperf/$runner*" 2>/dev/null) ]] ||
    fail "cgroups left: $(find /sys/fs/cgroup -maxdepth 4 -path "*virtperf/$runner*")"
echo ok
