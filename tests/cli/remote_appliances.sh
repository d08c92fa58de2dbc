#!/usr/bin/env bash
# Appliances of other platforms on another host (issue 17): a network
# namespace of the test's with an OpenSSH server (and this machine's cgroups)
# stands for the target. Its agent keeps a container there with the cap,
# memory and pinning the experiment gives, journaled there: the limits are
# in force in its cgroup while the point runs, the workload's rounds run in
# it (its own hostname) and the run says what it ran on; afterwards nothing
# of it is left there. Killing the agent that keeps it (at once, or while
# it makes the container) fails the point, naming the host, and the runner
# has `virtperf cleanup` run there, which removes it; a runner killed with
# SIGKILL takes the kept container with it. With libvirtd up, `libvirt-uri:
# qemu+ssh://HOST/system` runs a VM appliance on that host's libvirtd. A
# pin to a CPU that host lacks (asked of it before the run) and a port in
# that URI are one-line input errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ssh_lib.sh"
ssh_lib_require

ns=vpt-kept-$$
veth=xk$$
app=kept$$ # the appliance's name there
export VIRTPERF_RUNDIR=$work/rundir # the tester's journals
sshd_rundir=$work/target-rundir      # the target's
mkdir "$VIRTPERF_RUNDIR" "$sshd_rundir"
cleanup() {
    stop_sshds
    ip netns del "$ns" 2>/dev/null
    ip link del "$veth" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

octet=$(($$ % 250 + 1))
net=10.246.$octet
ssh_lib_keys
ssh_lib_target "$ns" "$veth" "$net.1/24" "$net.2/24"
start_sshd "$ns" "$net.2"
ssh_alias target "$net.2"
ssh_lib_defaults
wait_ssh target

# kept_cgroups: the cgroup directories of the appliance (the target's are
# this machine's: the same kernel)
kept_cgroups() { find /sys/fs/cgroup -type d -name "$app" -path '*virtperf*' 2>/dev/null; }
# target_journals: what the target's agent journaled and has not removed
target_journals() { find "$sshd_rundir" -name '*.journal' 2>/dev/null | wc -l; }
# nothing_left: no process, cgroup or journal of the kept appliance
nothing_left() {
    nothing_left_in "$ns"
    for _ in $(seq 100); do
        [[ -z $(kept_cgroups) && $(target_journals) -eq 0 ]] && return 0
        sleep 0.1
    done
    fail "left on the target: cgroups $(kept_cgroups | tr '\n' ' ') journals $(target_journals)"
}

exp() { # ROUNDS PRESET → $work/e.yaml: cpu-pi in a container on the target
    cat >"$work/e.yaml" <<EOF
name: kept
platform: container
rounds: $1
warmup: 0
profile-interval: 0
appliances:
  - {name: $app, workload: cpu-pi, preset: $2, host: target, cpus: "0", cap: 50, memory: 256MiB}
EOF
}

# --- a container kept there, its limits in force ------------------------------
# watch_limits FILE: the cgroup's cap, memory limit and CPUs, read until all
# three are as the experiment gives them (its start writes them one by one)
# or 10 s have passed
watch_limits() {
    local d
    for _ in $(seq 500); do
        for d in $(kept_cgroups); do
            if [[ -e $d/cpu.cfs_quota_us ]]; then
                echo "cap $(cat "$d/cpu.cfs_quota_us")/$(cat "$d/cpu.cfs_period_us")"
            elif [[ -e $d/cpu.max ]]; then
                echo "cap $(tr ' ' / <"$d/cpu.max")"
            fi
            [[ -e $d/memory.limit_in_bytes ]] && echo "memory $(cat "$d/memory.limit_in_bytes")"
            [[ -e $d/memory.max ]] && echo "memory $(cat "$d/memory.max")"
            [[ -e $d/cpuset.cpus ]] && echo "cpus $(cat "$d/cpuset.cpus")"
        done 2>/dev/null >"$1"
        grep -qx "cap 50000/100000" "$1" && grep -qx "memory 268435456" "$1" && grep -qx "cpus 0" "$1" &&
            return
        sleep 0.02
    done
}
exp 3 small
watch_limits "$work/limits" &
watcher=$!
expect_exit 0 "$VP" run "$work/e.yaml" --json
wait "$watcher" || true
[[ $(jq -r .end.status "$work/out") == complete ]] || fail "experiment: $(jq -c .end "$work/out")"
grep -qx "cap 50000/100000" "$work/limits" || fail "the cap there: $(cat "$work/limits" 2>/dev/null)"
grep -qx "memory 268435456" "$work/limits" || fail "the memory limit there: $(cat "$work/limits")"
grep -qx "cpus 0" "$work/limits" || fail "the pinning there: $(cat "$work/limits")"
platform=$(sql "SELECT platform FROM runs")
jq -e --arg app "$app" '.platform == "container" and .host_name == $app
        and .destination == "target" and (.agent | startswith("virtperf "))' <<<"$platform" >/dev/null ||
    fail "the run's platform: $platform"
[[ $(sql "SELECT count(*) FROM rounds") -eq 3 ]] || fail "rounds: $(sql "SELECT count(*) FROM rounds")"
nothing_left

# --- the agent keeping it killed mid-point ------------------------------------
# in_container: how many processes the container runs (its init, and the
# workload's agent once its rounds have begun)
in_container() { cat $(kept_cgroups | sed 's|$|/cgroup.procs|') /dev/null 2>/dev/null | sort -u | wc -l; }
exp 200 small
"$VP" run "$work/e.yaml" >"$work/out" 2>"$work/err" &
runner=$!
for _ in $(seq 300); do [[ $(in_container) -ge 2 ]] && break; sleep 0.05; done
[[ $(in_container) -ge 2 ]] || fail "no rounds in a container there: $(cat "$work/err")"
keeper=$(ip netns pids "$ns" | xargs -r ps -o pid=,args= -p | awk '/agent --stdio --tag/ { print $1 }')
[[ -n $keeper ]] || fail "no agent keeping it there"
kill -KILL $keeper
status=0
wait "$runner" || status=$?
[[ $status -eq 1 ]] || fail "runner exited $status after its kept appliance went: $(cat "$work/err")"
grep -q "the agent on target went away" "$work/err" && grep -q "appliance $app: its workload" "$work/err" ||
    fail "the errors do not name the host and the appliance: $(cat "$work/err")"
nothing_left
ssh -F "$work/ssh_config" -o BatchMode=yes target "VIRTPERF_RUNDIR=$sshd_rundir $VP cleanup" >"$work/out" 2>&1 ||
    fail "cleanup there: $(cat "$work/out")"

# --- the runner killed mid-point ----------------------------------------------
"$VP" run "$work/e.yaml" >"$work/out" 2>"$work/err" &
runner=$!
for _ in $(seq 300); do [[ -n $(kept_cgroups) ]] && break; sleep 0.05; done
[[ -n $(kept_cgroups) ]] || fail "no container there: $(cat "$work/err")"
sleep 0.5
kill -KILL "$runner"
wait "$runner" 2>/dev/null || true
nothing_left
"$VP" cleanup >/dev/null 2>&1 || true # the tester's own leftovers (its journal)

# --- what cannot be done -------------------------------------------------------
# what that host cannot make is refused before anything starts, by that host
sed 's/cpus: "0"/cpus: "63"/' "$work/e.yaml" >"$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "appliance $app: on target, platform container: cpus"
[[ -z $(kept_cgroups) && $(target_journals) -eq 0 ]] || fail "the refused appliance left something there"

cat >"$work/port.yaml" <<EOF
name: port
platform: libvirt
libvirt-uri: qemu+ssh://target:2222/system
appliances:
  - {name: there, workload: cpu-pi, preset: small}
EOF
expect_exit 2 "$VP" run "$work/port.yaml" --dry-run
expect_one_line_error "libvirt-uri qemu+ssh://target:2222/system: a port goes in hosts:"

# --- a VM on that host's libvirtd ---------------------------------------------
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
    echo "libvirtd not there: the libvirt case is not run"
    echo ok
    exit 0
fi
cat >"$work/lv.yaml" <<EOF
name: lv
platform: libvirt
libvirt-uri: qemu+ssh://target/system
rounds: 2
warmup: 0
profile-interval: 0
appliances:
  - {name: $app, workload: cpu-pi, preset: small}
EOF
expect_exit 0 "$VP" run "$work/lv.yaml" --json
[[ $(jq -r .end.status "$work/out") == complete ]] || fail "libvirt: $(jq -c .end "$work/out")"
platform=$(sql "SELECT platform FROM runs ORDER BY id DESC LIMIT 1")
jq -e '.platform == "libvirt" and (.agent | startswith("virtperf-guest "))' <<<"$platform" >/dev/null || fail "the VM run's platform: $platform"
virsh -c qemu:///system list --all --name | grep -q -- "-$app\$" && fail "a domain is left there"
nothing_left
echo ok
