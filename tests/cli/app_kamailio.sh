#!/usr/bin/env bash
# Role app (issue 16): the user's own server in an appliance. Kamailio,
# configured by experiments/kamailio-answer.cfg to answer calls itself,
# stands in for the sip-server natively and in a container; virtperf's
# sip-uac drives it and every call succeeds. Bad app fields are one-line
# input errors (exit 2); an app that never gets ready or cannot start is a
# failed run (exit 1) naming it; nothing of any of them is left running.
. "$(dirname "$0")/lib.sh"

command -v kamailio >/dev/null || { echo "SKIP: kamailio not installed"; exit 77; }
cfg=$(cd "$(dirname "$0")/../../experiments" && pwd)/kamailio-answer.cfg
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"

# experiment NAME APP-FIELDS [LOAD-FIELDS]: a file with one app, kam, driven by sip-uac
experiment() {
    cat >"$work/$1.yaml" <<YAML
name: $1
platform: native
appliances:
  - {name: kam, role: app, net: bridge, $2}
loads:
  - {name: calls, driver: sip-uac, target: kam, rate: 100, duration: 2s${3:+, $3}}
matrix:
  platform: [native, container]
YAML
}
kam_running() { pgrep -f "kamailio-answer.cfg -l udp:" >/dev/null; }
kam_running && fail "a kamailio of another run is already running"

kam="kamailio -DD -E -f $cfg -l udp:{address}:{port} -n 1 -w /tmp -Y /tmp"
experiment kam "command: \"$kam\""
expect_exit 0 "$VP" run "$work/kam.yaml" --json
[[ $(jq -r .end.status "$work/out") == complete ]] || fail "status: $(cat "$work/out")"
for platform in native container; do
    calls=$(jq -r --arg p "$platform" '.rounds[] | select(.params.platform == $p)
                                       | .loads[0] | "\(.created) \(.successful)"' \
        "$work/out")
    [[ $calls == "200 200" ]] || fail "$platform: created, successful: $calls"
done
[[ $(jq '[.rounds[].services[] | select(.role == "app" and (.address | test(":[0-9]+$")))]
         | length' "$work/out") -eq 2 ]] || fail "the apps' services: $(jq -c '[.rounds[].services]' "$work/out")"
kam_running && fail "kamailio left running"

# bad fields: input errors at the file's position, nothing started
experiment bad "command: \"kamailio -l {host}\""
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "bad.yaml:4:5: appliance \"kam\": command: \"{host}\": only {address}, {port} and {dir} are replaced"
experiment bad "command: nc, serves: udp-sink"
expect_exit 2 "$VP" run "$work/bad.yaml"
expect_one_line_error "a udp-sink has no automatic readiness check"
sed -i 's/^platform: native$/platform: vm/; /^matrix:/,$d' "$work/bad.yaml"
sed -i 's/serves: udp-sink/ready: tcp/' "$work/bad.yaml"
expect_exit 2 "$VP" run "$work/bad.yaml" --dry-run
expect_one_line_error "an app runs a command of this host's: platform native or container, not vm"

# an app that never answers: failed within its ready-timeout, stopped
experiment deaf "command: \"sleep 60\", ready-timeout: 1s"
start=$(date +%s)
expect_exit 1 "$VP" run "$work/deaf.yaml"
expect_one_line_error "appliance kam: sleep was not ready in its ready-timeout"
[[ $(($(date +%s) - start)) -lt 20 ]] || fail "the failed app took $(($(date +%s) - start)) s"
pgrep -x -f "sleep 60" >/dev/null && fail "the app that was not ready is still running"
# and one that cannot start at all
experiment missing "command: /nonexistent/server"
expect_exit 1 "$VP" run "$work/missing.yaml"
expect_one_line_error "appliance kam: start /nonexistent/server: No such file or directory"

[[ -z $(ls -A "$VIRTPERF_RUNDIR") ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
end_test
