#!/usr/bin/env bash
# virtperf profile --prometheus: the page is scraped with curl while the
# profile runs and passes `promtool check metrics`; it carries the
# appliance, core, process and profiler families with their labels, and
# counters grow between two scrapes. Bad addresses are input errors.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || { echo "SKIP: promtool (Debian prometheus) missing"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }

prof=
sleeper=
cleanup() {
    [[ -n $prof ]] && { kill -9 "$prof" 2>/dev/null; wait "$prof" 2>/dev/null || true; }
    [[ -n $sleeper ]] && { kill -9 "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT

expect_exit 2 "$VP" profile --prometheus 127.0.0.1:99999 --duration 1s
expect_one_line_error "expected ADDR:PORT"
expect_exit 2 "$VP" profile --prometheus nohost:80 --duration 1s
expect_one_line_error "prometheus"
expect_exit 2 "$VP" profile --interval 5ms --duration 1s
expect_one_line_error "interval"
expect_exit 2 "$VP" profile --pid 0 --duration 1s
expect_one_line_error "pid"
expect_exit 2 "$VP" profile --appliance nocgroup --duration 1s
expect_one_line_error "NAME=CGROUP"
expect_exit 2 "$VP" profile --cgroup /no/such/cgroup/$$ --duration 1s
expect_one_line_error "not found"
# a bad target after the outputs opened leaves nothing behind
expect_exit 2 "$VP" profile --pid $$ --cgroup /no/such/cgroup/$$ --duration 1s \
    --store "$work/s.db" --csv "$work/s.csv"
expect_one_line_error "not found"
[[ ! -e $work/s.csv ]] || fail "CSV file left behind"
[[ $(sqlite3 "$work/s.db" "SELECT count(*) FROM profiles") == 0 ]] || fail "profile row left"

# the appliance: a process with two threads (another profile: main and sampler)
"$VP" profile --no-cores --pid $$ --duration 10s --interval 50ms >/dev/null &
sleeper=$!
sleep 0.2
"$VP" profile --pid "sip1=$sleeper" --iface lo --prometheus 127.0.0.1:0 --duration 4s \
    --interval 100ms >"$work/prof.out" 2>"$work/prof.err" &
prof=$!
port=
for _ in $(seq 50); do
    # (|| true: the file is not there until the profiler's shell opens it)
    port=$(sed -n 's/.*Prometheus metrics on port \([0-9]*\).*/\1/p' "$work/prof.err" 2>/dev/null || true)
    [[ -n $port ]] && break
    sleep 0.05
done
[[ -n $port ]] || fail "no port announced: $(cat "$work/prof.err")"
sleep 0.5
curl -fsS "http://127.0.0.1:$port/metrics" -D "$work/headers" -o "$work/m1" ||
    fail "scrape failed"
sleep 0.5
curl -fsS "http://127.0.0.1:$port/metrics" -o "$work/m2" || fail "second scrape failed"
grep -qi '^content-type: text/plain; version=0.0.4' "$work/headers" || fail "content type"
promtool check metrics <"$work/m1" >"$work/lint" 2>&1 || { cat "$work/lint" >&2; fail "promtool"; }
for re in \
    '^virtperf_core_cpu_seconds_total{cpu="0",mode="steal"} ' \
    '^virtperf_process_cpu_seconds_total{appliance="sip1",pid="'"$sleeper"'",mode="user"} ' \
    '^virtperf_process_run_queue_wait_seconds_total{appliance="sip1",pid="'"$sleeper"'"} ' \
    '^virtperf_network_bytes_total{appliance="host",interface="lo",direction="rx"} ' \
    '^virtperf_thread_cpu_seconds_total{appliance="sip1",pid="'"$sleeper"'",tid="' \
    '^virtperf_profiler_cpu_seconds_total ' \
    '^virtperf_profiler_sample_lateness_seconds{quantile="0.99"} ' \
    '^virtperf_profiler_sample_lateness_seconds_count ' \
    '^# TYPE virtperf_core_cpu_seconds_total counter$'; do
    grep -q -- "$re" "$work/m1" || fail "no line matching $re"
done
s1=$(sed -n 's/^virtperf_profiler_samples_total //p' "$work/m1")
s2=$(sed -n 's/^virtperf_profiler_samples_total //p' "$work/m2")
[[ $s2 -gt $s1 ]] || fail "samples_total did not grow: $s1 then $s2"
wait "$prof" || fail "profile exited $?: $(cat "$work/prof.err")"
prof=
grep -q '^profiler: ' "$work/prof.out" || fail "no summary"
echo ok
