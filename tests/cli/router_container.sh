#!/usr/bin/env bash
# virtperf router --platform container: two routers that are appliances of
# the container platform forward a low rate packet-exact on the direct path
# (the macvlans go into the containers' own namespaces) and answer echoes;
# the run stores what the routers were; a memory limit too small for the
# routing table fails the run (exit 1) with one line naming the limit, the
# out-of-memory kill and how many routes got in; --memory on a bare namespace router is an
# input error; a run killed while it installs its routes leaves its
# containers' cgroups to `virtperf cleanup`, which removes them, and no
# process. A host that stalled the routers' or the generator's CPU skips
# it, 77. Needs root.
. "$(dirname "$0")/lib.sh"

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (namespaces, cgroups)"; exit 77; }
export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"
cgroups() { # router containers' cgroups (any controller) that were not there before the test
    find /sys/fs/cgroup -maxdepth 5 -type d -path "*virtperf/*/router[0-9]" 2>/dev/null |
        sort | comm -23 - "$work/before"
}
find /sys/fs/cgroup -maxdepth 5 -type d -path "*virtperf/*/router[0-9]" 2>/dev/null | sort >"$work/before"

expect_exit 2 "$VP" router --platform netns --memory 4M --routes 10
expect_one_line_error "memory: a bare namespace router has none of its own"
expect_exit 2 "$VP" router --platform jail
expect_one_line_error "platform"

expect_exit 0 "$VP" router --platform container --path direct --routers 2 --routes 1000 \
    --trial 0.2s --repeats 1 --start 5000 --max 20000 --echoes 20 --json
j() { jq -r "$1" "$work/out"; }
[[ $(j '.start.platform.name') == container ]] || fail "platform: $(j '.start.platform')"
[[ $(j '[.rounds[] | select(.received > .sent or .not_forwarded != 0 or .sent == 0)] | length') -eq 0 ]] ||
    fail "the sink counted what was not sent or not forwarded: $(j '.rounds')"
busy=
odd=$(j '[.rounds[] | select(.verdict != "pass" or .received != .sent) | [.rate, .sent, .received, .verdict]]')
if [[ $odd != "[]" ]]; then
    busy="trials at <= 20000 frames/s lost frames or fell behind (a stalled host): $(tr -d ' \n' <<<"$odd")"
else
    [[ $(j '.end.rate_mean') == 20000 ]] || fail "rate $(j '.end.rate_mean'), not 20000"
fi
[[ $(j '.end.router_share | length') -eq 2 ]] || fail "no per-router share"
[[ $(j '.end.latency_idle.received') -eq 20 ]] || fail "idle echoes: $(j '.end.latency_idle')"
id=$(j '.start.run_id')
[[ $(sql "SELECT json_extract(platform, '\$.name') FROM router_runs WHERE id = $id") == container ]] ||
    fail "run $id: platform not stored"
[[ -z $(cgroups) ]] || fail "cgroups left after the run: $(cgroups)"

# the routing table counts against the container's memory
expect_exit 1 "$VP" router --platform container --memory 4M --routes 100000 --repeats 1
expect_one_line_error "router 0: memory 4 MiB: router-node killed by the out-of-memory killer of its cgroup after [0-9][0-9]* of 100000 routes"
[[ -z $(cgroups) ]] || fail "cgroups left after the failed run: $(cgroups)"

# killed while it installs 4 × 100,000 routes: its containers' inits die
# with it, cleanup removes their cgroups (the test runs alone: no other
# test makes router containers meanwhile)
"$VP" router --platform container --routers 4 --routes 100000 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
    [[ -n $(cgroups) ]] && break
    sleep 0.05
done
[[ -n $(cgroups) ]] || fail "no router container made"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
expect_exit 0 "$VP" cleanup --json
jq -e '.end.failed == 0' "$work/out" >/dev/null || fail "cleanup: $(cat "$work/out")"
[[ -z $(cgroups) ]] || fail "cgroups left after cleanup: $(cgroups)"
[[ -z $(ls -A "$VIRTPERF_RUNDIR" 2>/dev/null) ]] || fail "journal left: $(ls -A "$VIRTPERF_RUNDIR")"
[[ -z $busy ]] || { echo "SKIP: $busy"; exit 77; }
echo "router_container: ok"
