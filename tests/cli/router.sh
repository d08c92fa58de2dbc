#!/usr/bin/env bash
# virtperf router: on every path, two routers with 1,000 routes each
# forward a low rate packet-exact (every trial: received == sent, nothing
# arrives unforwarded, the two routers' shares equal within a frame, every
# trial passes so the rate is --max exactly); the echo latency is there
# idle and loaded; the run is in the store and its rate recomputes from the
# stored trials; bad input is a one-line error with exit 2; a run killed
# midway leaves no namespace behind. A host that stalled the routers' or
# the generator's CPU (frames lost or late at these rates) skips it, 77.
# Needs root (namespaces).
. "$(dirname "$0")/lib.sh"

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (network namespaces)"; exit 77; }

# bad input
expect_exit 2 "$VP" router --routes 0
expect_one_line_error "routes"
expect_exit 2 "$VP" router --routes 200000
expect_one_line_error "routes"
expect_exit 2 "$VP" router --path sideways
expect_one_line_error "path"
expect_exit 2 "$VP" router --routers 9
expect_one_line_error "routers"
expect_exit 2 "$VP" router --frame 59
expect_one_line_error "frame"
expect_exit 2 "$VP" router --start 50000 --max 1000
expect_one_line_error "start 50000 is above --max 1000"

busy=
for path in bridge routed direct; do
    expect_exit 0 "$VP" router --path "$path" --routers 2 --routes 1000 --trial 0.2s \
        --repeats 2 --start 5000 --max 20000 --echoes 50 --json
    cp "$work/out" "$work/$path.json"
    j() { jq -r "$1" "$work/$path.json"; }
    [[ $(j '[.rounds[] | select(.received > .sent or .not_forwarded != 0 or .sent == 0)] | length') -eq 0 ]] ||
        fail "$path: the sink counted what was not sent or not forwarded: $(j '.rounds')"
    # at these rates nothing should be lost or late: when a trial was, the
    # host stalled the routers' or the generator's CPU (seen in nested VMs)
    odd=$(j '[.rounds[] | select(.verdict != "pass" or .received != .sent) | [.rate, .sent, .received, .verdict]]')
    if [[ $odd != "[]" ]]; then
        busy="$path: trials at <= 20000 frames/s lost frames or fell behind (a stalled host): $(tr -d ' \n' <<<"$odd")"
    else
        [[ $(j '.end.rate_mean') == 20000 ]] || fail "$path: rate $(j '.end.rate_mean'), not 20000"
        [[ $(j '.end.generator_limited') == false ]] || fail "$path: generator-limited"
    fi
    [[ $(j '.end.latency_idle.received') -eq 50 && $(j '.end.latency_loaded.received') -eq 50 ]] ||
        fail "$path: echoes lost: $(j '.end.latency_idle.received'), $(j '.end.latency_loaded.received')"
    if [[ $path != routed ]]; then # routed: every frame reaches the sink from the host's MAC
        [[ $(j '.end.router_share | length') -eq 2 ]] || fail "$path: no per-router share"
        [[ $(j '[.rounds[] | select((.per_router[0] - .per_router[1]) | fabs > 1)] | length') -eq 0 ]] ||
            fail "$path: the routers' shares differ: $(j '[.rounds[].per_router]')"
    fi
    # the store keeps the run; its rate recomputes from the trials
    id=$(j '.start.run_id')
    [[ $(sql "SELECT path || ' ' || routers || ' ' || routes FROM router_runs WHERE id = $id") == "$path 2 1000" ]] ||
        fail "$path: run $id not stored"
    again=$(sql "SELECT avg(best) FROM (SELECT max(rate) AS best FROM router_trials
                 WHERE run_id = $id AND verdict = 'pass' GROUP BY repeat)")
    [[ $(jq -n "$again - $(j '.end.rate_mean') | fabs < 0.001") == true ]] ||
        fail "$path: the stored trials give $again, the run $(j '.end.rate_mean')"
    [[ $(sql "SELECT sum(count) FROM router_echo_hist WHERE run_id = $id AND series = 'idle'") -eq 50 ]] ||
        fail "$path: idle echoes not stored"
done

# a run killed midway: its namespaces are held by its descriptors only (it
# makes no link outside them), so nothing is left holding them once it is gone
"$VP" router --routers 4 --routes 100000 --trial 1s --repeats 5 >/dev/null 2>&1 &
pid=$!
held=
for _ in $(seq 100); do
    held=$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -o 'net:\[[0-9]*\]' | sort -u || true)
    [[ $(wc -w <<<"$held") -ge 7 ]] && break
    sleep 0.1
done
[[ $(wc -w <<<"$held") -ge 7 ]] || fail "the run did not make its 7 namespaces: $held"
sleep 0.5
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
for ns in $held; do
    ! ls -l /proc/[0-9]*/fd /proc/[0-9]*/task/*/ns/net 2>/dev/null | grep -qF "$ns" ||
        fail "$ns still held after the run was killed"
done
[[ -z $busy ]] || { echo "SKIP: $busy"; exit 77; }
echo "router: ok"
