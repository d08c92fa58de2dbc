#!/usr/bin/env bash
# Several machines (issue 17): network namespaces of this test's, each with
# an OpenSSH server, stand for a target, a load and a time host on one LAN
# with this machine (a bridge of the test's, not virtperf's); the store is a
# PostgreSQL server of the test's. A SIP experiment runs across them: its
# sip-server appliance and a workload on the target, a workload here, its
# sip-uac load's generator on the load host, which writes its run into the
# store from there, and the time server on the time host, which records the
# workloads' round marks there. Checked: the generator ran in the load
# host's namespace, its calls reached the server and its run is the point's;
# every round has its external time from the time host; the appliance on
# the target is profiled there, under the point's profile; each host's clock
# offset to this machine and to the time host is in the experiment's facts
# and its report; a remote load or time server with a file store, a remote
# load against a server on this machine and pinning a remote generator are
# one-line input errors; the load host's agent killed mid-run is a failed
# load of that point (named, stored without a run) and the run goes on to
# its next point; nothing is left on any host.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ssh_lib.sh"
. "$(dirname "$0")/pg_lib.sh"
ssh_lib_require
export TMPDIR=$work/tmp # the runs' SSH configurations: this test's own
mkdir "$TMPDIR"
pg_require

octet=$(($$ % 250 + 1))
lan=10.248.$octet
br=xbr$$
names=(target load time)
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

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/key"
chmod 600 "$work/key"
cat >"$work/exp.yaml" <<EOF
name: multihost
platform: native
rounds: 2
warmup: 0
profile-interval: 250ms
timeserver: timehost:7807
key-file: $work/key
hosts:
  target: {ssh: "root@$lan.2", identity: $work/id}
  loadhost: {ssh: "root@$lan.3", identity: $work/id}
  timehost: {ssh: "root@$lan.4", identity: $work/id}
appliances:
  - {name: sip, role: sip-server, host: target}
  - {name: here, workload: cpu-pi, preset: small}
  - {name: there, workload: cpu-pi, preset: small, host: target}
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
grep -q "^time server: virtperf timeserver --listen $lan.4:7807 on host timehost, for the whole run" \
    "$work/out" || fail "dry-run: no time server line: $(head -3 "$work/out")"
expect_exit 0 "$VP" run "$work/exp.yaml" --dry-run --json
jq -e --arg a "$lan.4:7807" '.start.time_server == {host: "timehost", listen: $a}
        and .rounds[0].loads[0].host == "loadhost"' "$work/out" >/dev/null ||
    fail "dry-run JSON: $(jq -c '[.start.time_server, .rounds[0].loads]' "$work/out")"

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
# every measured round timed by the time host's clock too, its marks recorded there
runs=$(q "SELECT string_agg(run_id::text, ',') FROM point_runs WHERE experiment_id = $exp")
rounds=$(q "SELECT count(*) FROM rounds WHERE run_id IN ($runs)")
[[ $rounds -ge 2 && $(q "SELECT count(*) FROM timing_rounds WHERE run_id IN ($runs) AND external_s > 0") -eq $rounds ]] ||
    fail "external times: $(q "SELECT run_id, round, internal_s, external_s FROM timing_rounds")"
[[ $(q "SELECT count(DISTINCT run_token) FROM timing_marks") -eq 2 ]] ||
    fail "the time host's marks: $(q "SELECT run_token, appliance, kind FROM timing_marks")"
# the clocks: here all are this machine's, so every offset is within its round trip
host=$(q "SELECT host FROM experiments WHERE id = $exp")
jq -e '.hosts.time_host == "timehost" and ([.hosts | to_entries[] | select(.key != "time_host")
        | .value.offset_to_time_host_s | fabs < 0.05] | length == 4)
        and ([.hosts.target, .hosts.loadhost, .hosts.timehost] | all(.clock_rtt_s > 0))' \
    <<<"$host" >/dev/null || fail "host facts: $host"
# the appliance there profiled there, under the point's profile: its CPU
# (cpu-pi's rounds, run by its agent) busy, its samples in the report too
there_cpu=$(q "SELECT avg(s.value) FROM profile_samples s JOIN profiles f ON f.id = s.profile_id
               JOIN experiment_points p ON p.profile_id = f.parent_id
               WHERE p.experiment_id = $exp AND s.target = 'there' AND s.metric = 'cpu.total'")
awk -v c="${there_cpu:-0}" 'BEGIN { exit !(c > 0.2 && c < 1.5) }' ||
    fail "the appliance there, profiled there: cpu.total $there_cpu cores"
expect_exit 0 "$VP" report "$exp" -o "$work/report.html"
report_data "$work/report.html" | jq -e '[.. | arrays | select(.[0] == "clock of loadhost") | .[1]
        | test("s to this machine \\(round trip [0-9.]+ s\\), [-+][0-9.]+ s to the time host")] == [true]' >/dev/null ||
    fail "the report's clock rows: $(report_data "$work/report.html" | jq -c '[.. | arrays | select(.[0] | tostring | startswith("clock"))]')"
report_data "$work/report.html" | jq -e '[.sections[].figures[] | select(.title | startswith("CPU used per appliance"))
        | .series[]? | .name] | any(startswith("there"))' >/dev/null ||
    fail "the report's CPU chart has no series of the appliance there"
for n in "${names[@]}"; do nothing_left_in "vpt-$n-$$"; done

# --- what cannot be done: one line, exit 2, nothing made ---------------------
expect_exit 2 "$VP" run "$work/exp.yaml" --store "$work/file.db"
expect_one_line_error "timeserver on host timehost: it records its marks in the store: the store must be one that host reaches"
sed '/^timeserver:/d; /^key-file:/d' "$work/exp.yaml" >"$work/nots.yaml"
expect_exit 2 "$VP" run "$work/nots.yaml" --store "$work/file.db"
expect_one_line_error "load calls on host loadhost: its runs are written there: the store must be one that host reaches"
[[ ! -e $work/file.db ]] || [[ $(sqlite3 "$work/file.db" "SELECT count(*) FROM experiments") -eq 0 ]] ||
    fail "a refused run stored an experiment"
sed 's/, host: target}/}/' "$work/exp.yaml" >"$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "bad.yaml:[0-9]*:[0-9]*: load calls: on host loadhost it cannot reach sip, which runs on this machine"
sed 's/host: loadhost}/host: loadhost, cpus: "0"}/' "$work/exp.yaml" >"$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "load calls: on host loadhost its generators run outside virtperf's cgroups"

# --- the load host's agent killed mid-run: a failed load, the run goes on ---
sed 's/duration: 2s/duration: 60s/' "$work/nots.yaml" >"$work/long.yaml"
cat >>"$work/long.yaml" <<EOF
cases:
  - {label: lost}
  - {label: again, calls.duration: 2s}
EOF
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
wait "$runner" || fail "the run did not go on: $(cat "$work/long.err")"
exp=$(jq -r .start.experiment_id "$work/long.out")
jq -e '.end.status == "complete" and ([.rounds[].status] == ["complete", "complete"])' \
    "$work/long.out" >/dev/null || fail "after the load host's agent died: $(jq -c .end "$work/long.out")"
grep -q "point 1: load calls against sip: the agent on loadhost .*a failed load; the run goes on" \
    "$work/long.err" || fail "the lost load is not named: $(cat "$work/long.err")"
[[ $(q "SELECT point || ':' || coalesce(run_id::text, 'none') FROM point_loads WHERE experiment_id = $exp
        ORDER BY point" | tr '\n' ' ') =~ ^0:none\ 1:[0-9]+\ $ ]] ||
    fail "the loads recorded: $(q "SELECT * FROM point_loads WHERE experiment_id = $exp")"
expect_exit 0 "$VP" results experiment "$exp"
grep -q "sip-uac sip (calls): failed (no run stored)" "$work/out" || fail "results: $(cat "$work/out")"
for n in "${names[@]}"; do nothing_left_in "vpt-$n-$$"; done
[[ -z $(find "$TMPDIR" -maxdepth 1 -name 'virtperf-*-ssh.*') ]] || fail "the run's ssh_config was left"
echo "multihost: ok"
