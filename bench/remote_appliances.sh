#!/usr/bin/env bash
# What an appliance kept by another host's agent costs (issue 17): a
# network namespace of this script's with an OpenSSH server stands for the
# target. Measured: an SSH session to its agent (open, greet, clock offset,
# run `true`), and a whole `virtperf run` of cpu-pi small x 3 rounds on the
# target, as that host's own processes (platform native) beside a container
# the agent keeps there (cap 50, 256 MiB), and each one's dry run (the kept
# one asks the host first). Prints markdown (bench/results/remote-appliances.md
# keeps the committed table).
#
# usage: bench/remote_appliances.sh [REPEATS]   (default 5: about 40 s)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
export VIRTPERF=${VIRTPERF:-$PWD/build/src/virtperf}
[[ -x $VIRTPERF ]] || { echo "build first: make" >&2; exit 1; }
. tests/cli/lib.sh
. tests/cli/ssh_lib.sh
ssh_lib_require

ns=vpb-kept-$$
link=xb$$
cleanup() {
    stop_sshds
    ip netns del "$ns" 2>/dev/null
    ip link del "$link" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export TMPDIR=$work/tmp
mkdir "$TMPDIR"
ssh_lib_keys
ssh_lib_target "$ns" "$link" 10.245.$(($$ % 250 + 1)).1/24 10.245.$(($$ % 250 + 1)).2/24
start_sshd "$ns" "10.245.$(($$ % 250 + 1)).2"
ssh_alias target "10.245.$(($$ % 250 + 1)).2"
ssh_lib_defaults
wait_ssh target

# seconds CMD...: wall time of CMD (which must succeed), in seconds
seconds() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}
# stats LIST: "median (min-max)" of numbers
stats() { tr -s ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f (%.3f-%.3f)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
exp() { # PLATFORM EXTRA -> $work/e.yaml
    cat >"$work/e.yaml" <<EOF
name: kept-bench
platform: $1
rounds: 3
warmup: 0
profile-interval: 0
appliances:
  - {name: mt, workload: cpu-pi, preset: small, host: target$2}
EOF
}

session=
for _ in $(seq "$repeats"); do session+=" $(seconds "$VIRTPERF" guest-exec --agent ssh:target -- true)"; done
echo "| what (median (min-max) of $repeats, seconds) | time |"
echo "| --- | ---: |"
echo "| SSH session to the agent, greeted, clock offset, \`true\` run | $(stats "$session") |"
for platform in native container; do
    extra=
    [[ $platform == container ]] && extra=", cap: 50, memory: 256MiB"
    exp "$platform" "$extra"
    run= dry=
    for _ in $(seq "$repeats"); do
        run+=" $(seconds "$VIRTPERF" run "$work/e.yaml")"
        dry+=" $(seconds "$VIRTPERF" run "$work/e.yaml" --dry-run)"
    done
    what=$([[ $platform == native ]] && echo "that host's own processes" || echo "a container kept there")
    echo "| \`virtperf run\`, cpu-pi small x 3 rounds, $what | $(stats "$run") |"
    echo "| its dry run | $(stats "$dry") |"
done
