#!/usr/bin/env bash
# Another host's agent over SSH (issue 17, guest/ssh.h): an OpenSSH server in
# a network namespace this test makes stands for the target host, with a
# host key and a client key made for the test (the client's configuration
# and known hosts are the test's, through $VIRTPERF_SSH_CONFIG). Through it
# `virtperf guest-exec --agent ssh:DEST` runs a command there (its output
# and exit status relayed), and a workload's rounds run there with each
# round's elapsed time also taken by this host's clock (the external
# figure) and the run stored with the host it ran on and that host's clock
# offset to this one (NTP's way, within half the round trip); an experiment
# declares the target under hosts: (address, user, port, identity), puts a
# workload and a SIP server there (`host: target`) and drives the server
# with a load from here, leaving no SSH configuration of its own behind;
# undeclared hosts and bad declarations are errors at file:line:col. A client key the
# server does not know, an agent that speaks another protocol version and a
# bad address are one-line errors (exit 1, 2, 2); a relay killed with
# SIGKILL leaves nothing of its session running on the target, and an agent
# killed there mid-run fails its point naming the host. Needs root
# (namespaces) and sshd (openssh-server).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ssh_lib.sh"
ssh_lib_require
export TMPDIR=$work/tmp # the runs' SSH configurations: this test's own
mkdir "$TMPDIR"

ns=vpt-ssh-$$
link=xts$$ # not a "vp" link: the load reaches the target as a declared host
octet=$(($$ % 250 + 1))
ip=10.252.$octet.2
cleanup() {
    stop_sshds
    ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

nothing_left_there() { nothing_left_in "$ns"; }

# the target: a namespace joined to this one by a veth, sshd listening there
ssh_lib_target "$ns" "$link" "10.252.$octet.1/30" "$ip/30"
ssh_lib_keys
start_sshd "$ns" "$ip"
ssh_alias vpt-target "$ip"
ssh_alias vpt-stranger "$ip" stranger
ssh_lib_defaults
wait_ssh vpt-target

# the usage request: the CPU time of the sessions an appliance's relays
# opened (their agents carry its tag) and of what runs under them, against
# the busy command's own time read here
tag=vpt-usage-$$
coproc TAGGED { "$VP" agent --stdio --tag "$tag" 2>/dev/null; }
echo '{"op":"exec","argv":["sh","-c","i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 60"]}' >&"${TAGGED[1]}"
read -r started <&"${TAGGED[0]}"
busy=$(jq -r .pid <<<"$started")
[[ $busy =~ ^[0-9]+$ ]] || fail "exec: $started"
for _ in $(seq 200); do # until the loop is done and sleep has taken its place
    [[ $(cat "/proc/$busy/comm" 2>/dev/null) == sleep ]] && break
    sleep 0.05
done
own=$(awk '{ sub(/.*\) /, ""); print ($12 + $13 + $14 + $15) / 100 }' "/proc/$busy/stat")
usage() { echo "{\"op\":\"usage\",\"tag\":\"$1\"}" | "$VP" agent --stdio; }
u=$(usage "$tag")
jq -e --argjson own "$own" '.ev == "usage" and .agents == 1 and
        ((.cpu_user_ns + .cpu_system_ns) / 1e9) as $s | $s >= $own and $s <= $own + 0.3' \
    <<<"$u" >/dev/null || fail "usage of $tag: $u (the command's own: $own s)"
[[ $(usage "$tag-other" | jq -c '[.agents, .cpu_user_ns + .cpu_system_ns]') == "[0,0]" ]] ||
    fail "usage of another tag: $(usage "$tag-other")"
kill "$TAGGED_PID"
wait "$TAGGED_PID" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$busy" 2>/dev/null || break; sleep 0.05; done
! kill -0 "$busy" 2>/dev/null || fail "the tagged agent's command outlived it"

# a command there: its output, its stderr and its status come back
expect_exit 3 "$VP" guest-exec --agent ssh:vpt-target -- sh -c 'ip -o -4 addr show dev eth0; echo said >&2; exit 3'
grep -q "inet $ip/30" "$work/out" || fail "not run on the target: $(cat "$work/out")"
[[ $(cat "$work/err") == said ]] || fail "stderr: $(cat "$work/err")"

# a workload's rounds there, each also timed by this host's clock
expect_exit 0 "$VP" workload run cpu-pi --preset small --rounds 3 --warmup 0 \
    --guest-agent ssh:vpt-target --json
id=$(jq -r .start.run_id "$work/out")
[[ $(jq '[.rounds[] | select(.elapsed_s > 0)] | length' "$work/out") -eq 3 ]] ||
    fail "rounds: $(jq -c .rounds "$work/out")"
[[ $(sql "SELECT json_extract(platform, '\$.name') || ' ' || json_extract(platform, '\$.destination')
          FROM runs WHERE id = $id") == "host vpt-target" ]] ||
    fail "run $id's platform: $(sql "SELECT platform FROM runs WHERE id = $id")"
[[ $(sql "SELECT count(*) FROM timing_rounds WHERE run_id = $id AND internal_s > 0 AND external_s > 0") -eq 3 ]] ||
    fail "timing rows: $(sql "SELECT * FROM timing_rounds WHERE run_id = $id")"
# the target's clock against this one's, within half the best round trip:
# here both are this machine's, so the offset is no more than that
[[ $(sql "SELECT abs(json_extract(platform, '\$.clock_offset_s')) <= json_extract(platform, '\$.clock_rtt_s') / 2 + 1e-4
          AND json_extract(platform, '\$.clock_rtt_s') > 0 FROM runs WHERE id = $id") == 1 ]] ||
    fail "clock offset: $(sql "SELECT platform FROM runs WHERE id = $id")"

# an experiment with appliances on the target (platform native there): a
# workload's rounds and a SIP server, which a load from here drives; the
# runs are stored with the host they ran on
cat >"$work/exp.yaml" <<EOF
name: remote
platform: native
rounds: 2
warmup: 0
profile-interval: 500ms
hosts:
  target: {ssh: "root@$ip:22", identity: $work/id}
appliances:
  - {name: there, workload: cpu-pi, preset: small, host: target}
  - {name: here, workload: cpu-pi, preset: small, host: local}
  - {name: sip, role: sip-server, host: target}
loads:
  - {driver: sip-uac, target: sip, duration: 1s, rate: 20}
EOF
expect_exit 0 "$VP" run "$work/exp.yaml" --json
[[ $(jq -r .end.status "$work/out") == complete ]] || fail "experiment: $(cat "$work/out")"
[[ $(sql "SELECT json_extract(r.platform, '\$.destination') FROM point_runs p JOIN runs r ON r.id = p.run_id
          WHERE p.appliance = 'there' ORDER BY r.id DESC LIMIT 1") == target ]] ||
    fail "the remote appliance's run: $(sql "SELECT * FROM point_runs")"
[[ $(sql "SELECT created || ' ' || successful FROM sip_runs ORDER BY id DESC LIMIT 1") == "20 20" ]] ||
    fail "SIP against the remote server: $(sql "SELECT * FROM sip_runs ORDER BY id DESC LIMIT 1")"
[[ $(sql "SELECT address FROM point_services ORDER BY rowid DESC LIMIT 1") == "$ip:"* ]] ||
    fail "the SIP server's address: $(sql "SELECT * FROM point_services")"
# the target's agent killed mid-run: the point fails naming the host (an
# experiment stops at a failed point, as on this host), and nothing of the
# run is left on the target
cat >"$work/long.yaml" <<EOF
name: remote-agent-lost
platform: native
rounds: 100
warmup: 0
profile-interval: 0
appliances:
  - {name: there, workload: cpu-pi, preset: small, host: vpt-target}
EOF
rounds0=$(sql "SELECT count(*) FROM rounds")
"$VP" run "$work/long.yaml" --json >"$work/long.out" 2>"$work/long.err" &
runner=$!
for _ in $(seq 200); do # rounds under way there
    (($(sql "SELECT count(*) FROM rounds") > rounds0 + 2)) && break
    sleep 0.05
done
agents=$(ip netns pids "$ns" | xargs -r ps -o pid=,args= -p | awk '/agent --stdio/ {print $1}')
[[ -n $agents ]] || fail "no agent on the target"
kill -KILL $agents
wait "$runner" && fail "the run did not fail"
jq -e '.rounds[0].status == "failed" and .end.status == "failed"' "$work/long.out" >/dev/null ||
    fail "after the agent's death: $(jq -c '[.end.status, [.rounds[] | .status]]' "$work/long.out")"
grep -q "the agent on vpt-target went away" "$work/long.err" ||
    fail "the failure does not name the host: $(cat "$work/long.err")"
nothing_left_there

# an idle point with an appliance there: its CPU read through the agent
cat >"$work/idle.yaml" <<EOF
name: remote-idle
platform: native
rounds: 1
warmup: 0
profile-interval: 0
overhead: {counts: [1], seconds: 1s}
appliances:
  - {name: there, workload: cpu-pi, preset: small, host: vpt-target}
EOF
expect_exit 0 "$VP" run "$work/idle.yaml" --json
jq -e '[.rounds[] | select(.kind == "idle") | .appliance_cpu_pct | numbers] | length == 1' \
    "$work/out" >/dev/null || fail "idle point: $(jq -c '[.rounds[] | select(.kind == "idle")]' "$work/out")"
nothing_left_there

[[ -z $(find "$TMPDIR" -maxdepth 1 -name 'virtperf-*-ssh.*') ]] || fail "the run's ssh_config was left"
# a weight out of range is refused before anything starts; so are
# hosts the file does not declare, and declarations that cannot be right
cp "$work/exp.yaml" "$work/bad.yaml"
sed -i 's/host: target}/host: target, weight: 70000}/' "$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "weight 70000"
sed 's/host: local}/host: elsewhere}/' "$work/exp.yaml" >"$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "bad.yaml:10:[0-9]*: host \"elsewhere\": not one of hosts: (target, local)"
sed "s|root@$ip:22|root@:22|" "$work/exp.yaml" >"$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "bad.yaml:7:[0-9]*: host target: ssh \"root@:22\": want \[user@\]address\[:port\]"
sed "s|identity: $work/id|identity: $work/none|" "$work/exp.yaml" >"$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "bad.yaml:7:[0-9]*: host target: identity $work/none: No such file"
sed "s/  target: {/  local: {/" "$work/exp.yaml" >"$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "not \"local\", this machine"

# a key the target does not know: what ssh said, in one line
expect_exit 1 "$VP" guest-exec --agent ssh:vpt-stranger -- true
expect_one_line_error "the agent on vpt-stranger did not answer; ssh: .*Permission denied"
# an agent of another protocol version: nothing runs
cat >"$work/old-agent" <<'EOF'
#!/bin/sh
read -r hello
nonce=$(echo "$hello" | sed 's/.*"nonce": *\([0-9]*\).*/\1/')
echo "{\"ev\":\"hello\",\"version\":99,\"nonce\":$nonce}"
while read -r next; do # greetings come again until answered; an exec must not
    case $next in *'"exec"'*) echo "$next" >"$0.ran" ;; esac
done
EOF
chmod +x "$work/old-agent"
VIRTPERF_REMOTE_AGENT=$work/old-agent expect_exit 2 "$VP" guest-exec --agent ssh:vpt-target -- true
expect_one_line_error "the agent of ssh:vpt-target speaks protocol 99, this virtperf 1"
[[ ! -e $work/old-agent.ran ]] || fail "the old agent was asked to run: $(cat "$work/old-agent.ran")"
expect_exit 2 "$VP" guest-exec --agent "ssh:-oProxyCommand=x" -- true
expect_one_line_error "want ssh:DEST"

# the relay killed outright: its channel closes, the agent ends the command
# and itself, and ssh's session ends on the target
"$VP" guest-exec --agent ssh:vpt-target -- sleep 60 >/dev/null 2>&1 &
relay=$!
for _ in $(seq 100); do
    ip netns pids "$ns" | xargs -r ps -o comm= -p | grep -qx sleep && break
    sleep 0.1
done
ip netns pids "$ns" | xargs -r ps -o comm= -p | grep -qx sleep || fail "the command did not start there"
kill -KILL "$relay"
wait "$relay" 2>/dev/null || true
nothing_left_there
echo "remote_agent: ok"
