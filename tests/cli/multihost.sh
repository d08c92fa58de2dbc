#!/usr/bin/env bash
# Several machines (issue 17): network namespaces of this test's, each with
# an OpenSSH server, stand for a target host and a load host on one LAN with
# this machine (a bridge of the test's, not virtperf's); the store is a
# PostgreSQL server of the test's. A SIP experiment runs across them: its
# sip-server appliance on the target, its sip-uac load's generator on the
# load host, which writes its run into the store from there. Checked: the
# generator ran in the load host's namespace, its calls reached the server
# and its run is the point's; a remote load with a file store, a remote
# load against a server on this machine and pinning a remote generator are
# one-line input errors; the load host's agent killed mid-run fails the
# point naming the load and the host, and nothing is left on any host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ssh_lib.sh"
. "$(dirname "$0")/pg_lib.sh"
ssh_lib_require
pg_require

octet=$(($$ % 250 + 1))
lan=10.248.$octet
br=xbr$$
names=(target load)
cleanup() {
    stop_sshds
    for n in "${names[@]}"; do ip netns del "vpt-$n-$$" 2>/dev/null; done
    ip link del "$br" 2>/dev/null
    stop_postgres
    rm -rf "$work"
}
trap cleanup EXIT

# the LAN: this machine at .1, the hosts at .2, .3 ...
ip link add "$br" type bridge
ip addr add "$lan.1/24" dev "$br"
ip link set "$br" up
ssh_lib_keys
for i in "${!names[@]}"; do
    ns=vpt-${names[i]}-$$
    ip netns add "$ns"
    ip link add "xh$i.$$" type veth peer name eth0 netns "$ns"
    ip link set "xh$i.$$" master "$br" up
    ip -n "$ns" addr add "$lan.$((i + 2))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    start_sshd "$ns" "$lan.$((i + 2))"
    ssh_alias "vpt-${names[i]}" "$lan.$((i + 2))"
done
ssh_lib_defaults
for n in "${names[@]}"; do wait_ssh "vpt-$n"; done
start_postgres
export VIRTPERF_STORE=$pg_url
q() { psql_ -d virtperf -c "$1"; }

cat >"$work/exp.yaml" <<EOF
name: multihost
platform: native
rounds: 1
warmup: 0
profile-interval: 0
hosts:
  target: {ssh: "root@$lan.2", identity: $work/id}
  loadhost: {ssh: "root@$lan.3", identity: $work/id}
appliances:
  - {name: sip, role: sip-server, host: target}
loads:
  - {name: calls, driver: sip-uac, target: sip, duration: 2s, rate: 20, host: loadhost}
EOF

# watch_generator NS FILE: note in FILE when a sip-uac runs in namespace NS
watch_generator() {
    for _ in $(seq 300); do
        ip netns pids "$1" | xargs -r ps -o args= -p | grep -q 'sip-uac' && { echo seen >"$2"; return; }
        sleep 0.05
    done
}

# --- the plan names the load's host ------------------------------------------
expect_exit 0 "$VP" run "$work/exp.yaml" --dry-run
grep -q "^  load calls    -> sip, generator host=loadhost: virtperf sip-uac " "$work/out" ||
    fail "dry-run: $(grep 'load ' "$work/out")"

# --- the experiment across the hosts -----------------------------------------
watch_generator "vpt-load-$$" "$work/seen" &
watcher=$!
expect_exit 0 "$VP" run "$work/exp.yaml" --json
wait "$watcher" || true
[[ -e $work/seen ]] || fail "no sip-uac ran on the load host"
exp=$(jq -r .start.experiment_id "$work/out")
[[ $(jq -r .end.status "$work/out") == complete ]] || fail "experiment: $(jq -c .end "$work/out")"
load_run=$(q "SELECT run_id FROM point_loads WHERE experiment_id = $exp AND load = 'calls'")
[[ $load_run =~ ^[0-9]+$ ]] || fail "the load's run was not recorded: $(q "SELECT * FROM point_loads")"
[[ $(q "SELECT created || ' ' || successful FROM sip_runs WHERE id = $load_run") == "40 40" ]] ||
    fail "the load's calls: $(q "SELECT * FROM sip_runs WHERE id = $load_run")"
[[ $(q "SELECT address FROM point_services WHERE experiment_id = $exp") == "$lan.2:"* ]] ||
    fail "the server's address: $(q "SELECT * FROM point_services")"
expect_exit 0 "$VP" results experiment "$exp"
grep -q "sip-uac calls (sip)" "$work/out" || grep -q "calls" "$work/out" || fail "results: $(cat "$work/out")"
for n in "${names[@]}"; do nothing_left_in "vpt-$n-$$"; done

# --- what cannot be done: one line, exit 2, nothing made ---------------------
expect_exit 2 "$VP" run "$work/exp.yaml" --store "$work/file.db"
expect_one_line_error "load calls on host loadhost: its runs are written there: the store must be one that host reaches"
sed 's/, host: target}/}/' "$work/exp.yaml" >"$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "bad.yaml:[0-9]*:[0-9]*: load calls: on host loadhost it cannot reach sip, which runs on this machine"
sed 's/host: loadhost}/host: loadhost, cpus: "0"}/' "$work/exp.yaml" >"$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "load calls: on host loadhost its generators run outside virtperf's cgroups"

# --- the load host's agent killed mid-run ------------------------------------
sed 's/duration: 2s/duration: 60s/' "$work/exp.yaml" >"$work/long.yaml"
"$VP" run "$work/long.yaml" --json >"$work/long.out" 2>"$work/long.err" &
runner=$!
agents=
for _ in $(seq 200); do
    agents=$(ip netns pids "vpt-load-$$" | xargs -r ps -o pid=,args= -p | awk '/agent --stdio/ {print $1}')
    uac=$(ip netns pids "vpt-load-$$" | xargs -r ps -o args= -p | grep -c 'sip-uac' || true)
    [[ -n $agents && $uac -gt 0 ]] && break
    sleep 0.05
done
[[ -n $agents ]] || fail "no agent on the load host"
kill -KILL $agents
wait "$runner" && fail "the run went on as if nothing happened"
jq -e '.end.status == "failed"' "$work/long.out" >/dev/null ||
    fail "after the load host's agent died: $(jq -c .end "$work/long.out")"
grep -q "load calls against sip" "$work/long.err" && grep -q "loadhost" "$work/long.err" ||
    fail "the failure does not name the load and its host: $(cat "$work/long.err")"
for n in "${names[@]}"; do nothing_left_in "vpt-$n-$$"; done
[[ -z $(find /tmp -maxdepth 1 -name 'virtperf-*-ssh.*') ]] || fail "the run's ssh_config was left"
echo "multihost: ok"
