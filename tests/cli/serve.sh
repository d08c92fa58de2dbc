#!/usr/bin/env bash
# virtperf serve: its JSON, its event stream and its page in Chromium follow
# an experiment while it runs (the running point, the points done, the
# profiler's samples change from event to event; the page's numbers and
# chart move) and after; each stored experiment and run has its report page; it only reads (POST: 405); off loopback
# every request needs the printed token (tried in a network namespace of the
# test's own, on a TEST-NET address); bad input is a one-line error, exit 2;
# SIGTERM ends it at once, open event streams included.
. "$(dirname "$0")/lib.sh"

export VIRTPERF_RUNDIR=$work/rundir
mkdir "$VIRTPERF_RUNDIR"

expect_exit 2 "$VP" serve --listen localhost:80 --store "$VIRTPERF_STORE"
expect_one_line_error "--listen"
expect_exit 2 "$VP" serve --store "$work/none.db"
expect_one_line_error "--store $work/none.db: No such file"

# a store with one finished run, then the server on any free loopback port
expect_exit 0 "$VP" workload run cpu-pi --preset small --rounds 1 --warmup 0
"$VP" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>&1 &
server=$!
stop_server() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap 'stop_server; rm -rf "$work"' EXIT
for _ in $(seq 50); do [[ -s $work/serve.out ]] && break; sleep 0.1; done
url=$(grep -o 'http://[^ ?]*' "$work/serve.out") || fail "no address: $(cat "$work/serve.out")"
[[ $url == http://127.0.0.1:* ]] || fail "served at $url"
curl -sf "${url}api/runs" >"$work/runs.json" || fail "GET /api/runs"
jq -e '.runs | length == 1 and .[0].subject == "cpu-pi" and .[0].status == "complete"' \
    "$work/runs.json" >/dev/null || fail "runs: $(cat "$work/runs.json")"
[[ $(curl -s -o /dev/null -w '%{http_code}' -X POST "${url}api/runs") == 405 ]] || fail "POST answered"
[[ $(curl -s -o /dev/null -w '%{http_code}' "${url}nothing") == 404 ]] || fail "no 404"
curl -sf "$url" >"$work/page.html" || fail "GET /"
grep -q "new EventSource(url('/events'))" "$work/page.html" || fail "no dashboard page"

# an experiment of three points of two seconds each (a udp load into a sink)
# while the event stream is read
cat >"$work/e.yaml" <<EOF
name: serve-live
profile-interval: 100ms
appliances:
  - {name: sink, role: udp-sink, sockets: 1}
loads:
  - {driver: udp, target: sink, size: 64, duration: 2s, interval: 500ms}
matrix:
  udp.rate: [500, 1000, 2000]
EOF
curl -sN --max-time 60 "${url}events" >"$work/events" &
reader=$!
# and the dashboard in Chromium, read three times a second and a half apart
page='JSON.stringify({events: +document.body.dataset.events, points: +(document.body.dataset.chartPoints || 0),
                    running: document.querySelector("#experiments tbody").innerText.includes("running")})'
browser=
if command -v chromium >/dev/null; then
    python3 "$(dirname "$0")/cdp.py" "$url" 1.5 "$page" "$page" "$page" >"$work/page" 2>"$work/console" &
    browser=$!
    # the experiment starts once the page has read itself a first time (a cold
    # Chromium can take seconds to start: its later reads must fall in the run)
    for _ in $(seq 300); do
        [[ -s $work/page ]] || ! kill -0 "$browser" 2>/dev/null && break
        sleep 0.1
    done
    [[ -s $work/page ]] || fail "the dashboard did not load in Chromium: $(cat "$work/console")"
fi
expect_exit 0 "$VP" run "$work/e.yaml"
# one more event, after the end (its second comes later on a loaded host)
for _ in $(seq 100); do
    grep -q '"status":"complete"' "$work/events" && break
    sleep 0.1
done
kill "$reader" 2>/dev/null || true
wait "$reader" 2>/dev/null || true
sed -n 's/^data: //p' "$work/events" >"$work/events.json"
n=$(wc -l <"$work/events.json")
((n >= 3)) || fail "$n events: $(head -c 600 "$work/events")"
# while it ran: a running point, the plan's three points, samples of the appliance
jq -se '([.[] | .experiments[0] | select(.status == "running" and .points.planned == 3 and .running.point >= 0)]
         | length >= 1)
        and ([.[] | .experiments[0] | select(.status == "running" and .points.done >= 1 and .points.done < 3)]
             | length >= 1 and all(.eta_s > 0))' \
    "$work/events.json" >/dev/null || fail "no event saw the experiment running: $(head -3 "$work/events.json")"
jq -se '[.[] | .samples // [] | .[] | select(.[1] == "sink" and .[2] == "cpu.total")] | length >= 3' \
    "$work/events.json" >/dev/null || fail "no profiler samples of the sink streamed"
# the numbers moved: more than one distinct (points done, running point)
[[ $(jq -c '.experiments[0] | [.points.done, .running.point]' "$work/events.json" | sort -u | wc -l) -ge 2 ]] ||
    fail "the progress never changed"
# and the last event has it complete
jq -se '.[-1].experiments[0] | .status == "complete" and .points.done == 3' "$work/events.json" >/dev/null ||
    fail "last event: $(tail -1 "$work/events.json")"
curl -sf "${url}api/experiments" | jq -e '.experiments[0].name == "serve-live"' >/dev/null ||
    fail "/api/experiments"
if [[ -n $browser ]]; then
    wait "$browser" || fail "the dashboard in Chromium: $(cat "$work/console" "$work/page")"
    # the page's numbers moved while the experiment ran, and its chart drew samples
    # (events never go back and grow over the run; two reads 1.5 s apart may
    # fall before the run's first event on a loaded host)
    jq -se 'length == 3 and ([.[] | fromjson | .events] | . == sort and .[-1] > .[0])
            and ([.[] | fromjson | select(.running and .points > 0)] | length >= 1)' "$work/page" >/dev/null ||
        fail "the dashboard did not follow the run: $(cat "$work/page")"
else
    echo "the dashboard was not loaded: no chromium"
fi
# a report page per experiment and run; ECharts for the dashboard
curl -sf "${url}report?ids=1,run:1" >"$work/report.html" || fail "/report?ids=1,run:1"
grep -q "<title>virtperf report: 2 experiments and runs</title>" "$work/report.html" ||
    fail "/report?ids=1,run:1: $(head -c 300 "$work/report.html")"
[[ $(curl -s -o /dev/null -w '%{http_code}' "${url}report") == 400 ]] || fail "/report without ids"
[[ $(curl -s -o /dev/null -w '%{http_code}' "${url}report?ids=99") == 404 ]] || fail "/report?ids=99"
curl -sf "${url}assets/echarts.min.js" >"$work/echarts.js" && grep -q "echarts" "$work/echarts.js" ||
    fail "no ECharts at /assets"

# SIGTERM with a stream open: it ends within two seconds, status 0
curl -sN --max-time 30 "${url}events" >/dev/null &
reader=$!
sleep 0.5
t0=$(date +%s%N)
kill -TERM "$server"
wait "$server" || fail "serve exited $? on SIGTERM"
(($(date +%s%N) - t0 < 2000000000)) || fail "serve took over 2 s to stop"
wait "$reader" 2>/dev/null || true

# off loopback: a token, in a namespace of this test's own
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
    unshare -n bash -c '
        set -e
        ip link set lo up
        ip link add vpserve0 type veth peer name vpserve1
        ip addr add 192.0.2.1/24 dev vpserve0
        ip link set vpserve0 up
        ip link set vpserve1 up
        "$0" serve --listen 192.0.2.1:0 --store "$1" >"$2/serve2.out" 2>&1 &
        pid=$!
        for _ in $(seq 50); do [[ -s $2/serve2.out ]] && break; sleep 0.1; done
        url=$(grep -o "http://[^ ?]*" "$2/serve2.out")
        token=$(grep -o "token=[0-9a-f]*" "$2/serve2.out" | cut -d= -f2)
        code() { curl -s -o /dev/null -w "%{http_code}" "$@"; }
        echo "$(code "${url}api/runs") $(code "${url}api/runs?token=$token")" \
             "$(code -H "Authorization: Bearer $token" "${url}api/runs")" \
             "$(code "${url}api/runs?token=0$token")" "${#token}" >"$2/codes"
        kill $pid; wait $pid
    ' "$VP" "$VIRTPERF_STORE" "$work" || fail "token case: $(cat "$work/serve2.out" 2>/dev/null)"
    [[ $(cat "$work/codes") == "401 200 200 401 32" ]] || fail "token: codes $(cat "$work/codes")"
else
    echo "token case not run: needs root for a network namespace"
fi
echo ok
