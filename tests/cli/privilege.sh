#!/usr/bin/env bash
# Least privilege and process hygiene end to end (issue 18): a reader that
# goes away mid-output does not kill virtperf (SIGPIPE); `user:` is refused
# for an unknown user and for a workload, at its file:line:col; and, as root,
# a container experiment run from a directory with a relative --store and a
# relative disk-log: the workload's run lands in that store (not in one at
# "/" inside the container), the sip-server runs as its user (the log it
# writes is that user's) where the file said, and nothing else of the host
# was writable to them.
. "$(dirname "$0")/lib.sh"

export VIRTPERF_RUNDIR=$work/rundir
mkdir -m 700 "$VIRTPERF_RUNDIR"

# --- SIGPIPE: the reader of stdout is gone before virtperf prints ----------
set +o pipefail
"$VP" workload run cpu-pi --preset small --rounds 1 --warmup 0 --json 2>"$work/err" | true
status=${PIPESTATUS[0]}
set -o pipefail
((status != 128 + 13)) || fail "virtperf was killed by SIGPIPE"
[[ $status -eq 0 ]] || fail "workload run with its reader gone exited $status: $(cat "$work/err")"
[[ $(sql "SELECT status FROM runs") == complete ]] ||
    fail "the run: $(sql 'SELECT id, status FROM runs')"

# --- user: refused where it cannot be ---------------------------------------
printf '%s\n' 'appliances:' '  - {name: sip, role: sip-server, user: no-such-user-vpt}' >"$work/u1.yaml"
expect_exit 2 "$VP" run "$work/u1.yaml" --dry-run
expect_one_line_error "^virtperf: $work/u1.yaml:2:41: user \"no-such-user-vpt\": no such user\$"
printf '%s\n' 'appliances:' '  - name: pi' '    workload: cpu-pi' '    user: nobody' >"$work/u2.yaml"
expect_exit 2 "$VP" run "$work/u2.yaml" --dry-run
expect_one_line_error "^virtperf: $work/u2.yaml:4:11: user \"nobody\": only servers run as another user, not a workload\$"
printf '%s\n' 'appliances:' '  - {name: sip, role: sip-server}' 'matrix:' \
    '  sip.user: [nobody, no-such-user-vpt]' >"$work/u3.yaml"
expect_exit 2 "$VP" run "$work/u3.yaml" --dry-run
expect_one_line_error "^virtperf: $work/u3.yaml:4:22: user \"no-such-user-vpt\": no such user\$"

if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: the container experiment needs root"
    exit 77
fi

# --- relative paths, a server's user, in a container ------------------------
# the user must reach the directory its log goes to
chmod 711 "$work"
mkdir -m 777 "$work/here"
printf '%s\n' 'platform: container' 'rounds: 1' 'warmup: 0' 'profile-interval: 0' 'appliances:' \
    '  - {name: sip, role: sip-server, net: bridge, user: nobody, disk-log: calls.log}' \
    '  - {name: pi, workload: cpu-pi, preset: small}' 'loads:' \
    '  - {driver: sip-uac, target: sip, duration: 1s}' >"$work/here/exp.yaml"
expect_exit 0 "$VP" run --dry-run "$work/here/exp.yaml"
grep -q "creates sip .* net=bridge user=nobody\$" "$work/out" || fail "dry-run: $(cat "$work/out")"
(cd "$work/here" && "$VP" run exp.yaml --json --store rel.db >"$work/out" 2>"$work/err") ||
    fail "the container experiment: $(cat "$work/err")"
[[ ! -e /rel.db ]] || fail "a store was made at /rel.db"
export VIRTPERF_STORE=$work/here/rel.db
[[ $(sql "SELECT status FROM experiments") == complete ]] ||
    fail "experiment: $(sql 'SELECT status, error FROM experiments')"
[[ $(sql "SELECT count(*) FROM point_runs p JOIN runs r ON r.id = p.run_id
          WHERE r.status = 'complete'") -eq 1 ]] ||
    fail "the workload's run is not in the store: $(sql 'SELECT * FROM point_runs')"
[[ -s $work/here/calls.log ]] || fail "no call record in $work/here/calls.log"
[[ $(stat -c %U "$work/here/calls.log") == nobody ]] ||
    fail "calls.log is $(stat -c %U "$work/here/calls.log")'s, not nobody's"
[[ $(sql "SELECT json_extract(counters, '$.end.invites') > 0 FROM point_services") -eq 1 ]] ||
    fail "the server took no call: $(sql 'SELECT counters FROM point_services')"
echo ok
