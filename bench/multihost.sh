#!/usr/bin/env bash
# Several hosts at scale (issue 17): N simulated hosts (network namespaces on
# a bridge of this script's, each with its own OpenSSH server) each run the
# host profiler through its agent (`virtperf guest-exec --agent ssh:HOST --
# virtperf profile --store postgresql://...`), sampling every second into
# one PostgreSQL server of this script's, for T seconds. Measured side by
# side: the server's CPU (its cgroup, and pidstat's view of the postgres
# processes), the hosts' CPU (sshd, agents, profilers: their cgroup), this
# machine's relays and ssh clients (theirs), rows written per second, the
# bytes a row takes in the store, the profilers' lateness and missed
# samples; then projected to 100 and 1,000 hosts. Prints markdown
# (bench/results/multihost.md keeps the committed table).
#
# usage: bench/multihost.sh [HOSTS] [SECONDS]   (default 16 60: about 80 s)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-16}
secs=${2:-60}
export VIRTPERF=${VIRTPERF:-$PWD/build/src/virtperf}
[[ -x $VIRTPERF ]] || { echo "build first: make" >&2; exit 1; }
command -v pidstat >/dev/null || { echo "missing pidstat: scripts/install-deps" >&2; exit 1; }
. tests/cli/lib.sh
. tests/cli/ssh_lib.sh
. tests/cli/pg_lib.sh
ssh_lib_require
pg_require

octet=$(($$ % 250 + 1))
lan=10.247.$octet
br=xbr$$
cg_names=(pg hosts tester)
cleanup() {
    stop_sshds
    for k in $(seq "$hosts"); do ip netns del "vpb-h$k-$$" 2>/dev/null; done
    ip link del "$br" 2>/dev/null
    stop_postgres
    for c in "${cg_names[@]}"; do cg_remove "$c"; done
    rm -rf "$work"
}
trap cleanup EXIT

# CPU accounting groups of this script's: v2, or v1's cpuacct
if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then cg_root=/sys/fs/cgroup; else cg_root=/sys/fs/cgroup/cpuacct; fi
cg() { echo "$cg_root/vpbench-$1-$$"; }
cg_make() { mkdir -p "$(cg "$1")"; }
cg_join() { echo "$2" >"$(cg "$1")/cgroup.procs"; }
cg_cpu_s() { # CPU seconds the group used so far
    if [[ -e $(cg "$1")/cpu.stat && ! -e $(cg "$1")/cpuacct.usage ]]; then
        awk '$1 == "usage_usec" { printf "%.3f", $2 / 1e6 }' "$(cg "$1")/cpu.stat"
    else
        awk '{ printf "%.3f", $1 / 1e9 }' "$(cg "$1")/cpuacct.usage"
    fi
}
cg_remove() {
    local d
    d=$(cg "$1")
    [[ -d $d ]] || return 0
    while read -r p; do echo "$p" >"$cg_root/cgroup.procs" 2>/dev/null || true; done <"$d/cgroup.procs"
    rmdir "$d" 2>/dev/null || true
}
for c in "${cg_names[@]}"; do cg_make "$c"; done

# the server, in its group from its start (its backends follow)
cg_join pg $$
start_postgres
echo $$ >"$cg_root/cgroup.procs"

# the hosts: sshd in each (their sessions, agents and profilers follow it)
ip link add "$br" type bridge
ip addr add "$lan.1/16" dev "$br"
ip link set "$br" up
ssh_lib_keys
cg_join hosts $$
for k in $(seq "$hosts"); do
    ns=vpb-h$k-$$
    ip netns add "$ns"
    ip link add "xb$k.$$" type veth peer name eth0 netns "$ns"
    ip link set "xb$k.$$" master "$br" up
    ip -n "$ns" addr add "$lan.$((k + 1))/16" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    start_sshd "$ns" "$lan.$((k + 1))"
    ssh_alias "vpb-h$k" "$lan.$((k + 1))"
done
echo $$ >"$cg_root/cgroup.procs"
ssh_lib_defaults
for k in $(seq "$hosts"); do wait_ssh "vpb-h$k"; done

size() { psql_ -d virtperf -c "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
                                  WHERE relname IN ('profile_samples', 'profile_samples_series')"; }
"$VP" results list --store "$pg_url" >/dev/null # the schema, before the clock starts
bytes0=$(size)
pg0=$(cg_cpu_s pg) hosts0=$(cg_cpu_s hosts) tester0=$(cg_cpu_s tester)
t0=$(date +%s.%N)
cg_join tester $$
pids=()
for k in $(seq "$hosts"); do
    "$VP" guest-exec --agent "ssh:vpb-h$k" -- "$VP" profile --interval 1s --duration "${secs}s" \
        --iface eth0 --store "$pg_url" --json >"$work/h$k.json" 2>"$work/h$k.err" &
    pids+=($!)
done
echo $$ >"$cg_root/cgroup.procs"
# pidstat's view of the server meanwhile, from when every profiler is connected
sleep 3
rss_mb() { # resident memory of a group's processes, MB
    xargs -r ps -o rss= -p <"$(cg "$1")/cgroup.procs" | awk '{ s += $1 } END { printf "%.1f", s / 1024 }'
}
tester_rss=$(rss_mb tester) hosts_rss=$(rss_mb hosts) pg_rss=$(rss_mb pg)
pidstat -u -h -C '^postgres$' "$((secs - 6))" 1 >"$work/pidstat.txt" 2>&1 &
pidstat_pid=$!
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
wait "$pidstat_pid" || true
t1=$(date +%s.%N)
pg1=$(cg_cpu_s pg) hosts1=$(cg_cpu_s hosts) tester1=$(cg_cpu_s tester)
bytes1=$(size)
((failed == 0)) || { cat "$work"/h*.err >&2; echo "$failed profilers failed" >&2; exit 1; }

read -r rows profiles missed late_p99 self_cpu < <(psql_ -d virtperf -F ' ' -c "
    SELECT (SELECT count(*) FROM profile_samples), count(*), sum(missed),
           max(lateness_p99_s) * 1e3, avg(cpu_s / elapsed_s) * 100 FROM profiles")
pidstat_pct=$(awk '!/^#/ && NF > 8 && $NF == "postgres" { s += $(NF - 2) } END { printf "%.1f", s }' \
    "$work/pidstat.txt")
wall=$(echo "$t1 - $t0" | bc -l)
# one line of figures for the table and the projections
CPU="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)" \
    PGV="$(psql_ -d virtperf -c 'SHOW server_version')" PIDSTAT="$pidstat_pct" awk -v h="$hosts" -v wall="$wall" -v rows="$rows" -v b0="$bytes0" -v b1="$bytes1" \
    -v pg="$(echo "$pg1 - $pg0" | bc -l)" -v hs="$(echo "$hosts1 - $hosts0" | bc -l)" \
    -v te="$(echo "$tester1 - $tester0" | bc -l)" -v pid="$pidstat_pct" -v missed="$missed" \
    -v late="$late_p99" -v self="$self_cpu" -v profiles="$profiles" -v cores="$(nproc)" \
    -v trss="$tester_rss" -v hrss="$hosts_rss" -v prss="$pg_rss" '
BEGIN {
    rps = rows / wall; per_host = rps / h; bpr = (b1 - b0) / rows
    pg_pct = 100 * pg / wall; hosts_pct = 100 * hs / wall; tester_pct = 100 * te / wall
    printf "Machine: %d CPUs, %s; PostgreSQL %s; %d hosts, %d s.\n\n", cores, ENVIRON["CPU"], ENVIRON["PGV"], h, wall
    print "| hosts | profiles | rows/s | rows/s per host | bytes/row (table + index) | server CPU % of a core (cgroup) | server CPU % (pidstat) | hosts CPU % (sshd, agents, profilers) | this machine CPU % (relays, ssh) | missed samples | profiler lateness p99 ms | profiler self CPU % |"
    print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf "| %d | %d | %.0f | %.1f | %.0f | %.1f | %s | %.1f | %.1f | %d | %.2f | %.2f |\n\n", h, profiles, rps, per_host, bpr, pg_pct, ENVIRON["PIDSTAT"], hosts_pct, tester_pct, missed, late, self
    printf "Resident memory while it ran: server %.0f MB, this machine'"'"'s relays and ssh clients %.1f MB (%.1f MB per host), each host'"'"'s sshd, agent and profiler %.1f MB.\n\n", prss, trss, trss / h, hrss / h
    print "Projected (linear in hosts, from the figures above):\n"
    print "| hosts | SSH sessions here (their RSS, upper bound) | rows/s | server CPU (cores) | store per hour | store per day |"
    print "|---:|---:|---:|---:|---:|---:|"
    split("16 100 1000", n, " ")
    for (i = 1; i <= 3; i++) {
        H = n[i]; r = per_host * H
        printf "| %d | %d (%.0f MB) | %.0f | %.2f | %.0f MB | %.1f GB |\n", H, H, trss / h * H, r, pg_pct / 100 * H / h, r * 3600 * bpr / 1e6, r * 86400 * bpr / 1e9
    }
    printf "\nThe server here would be CPU-bound at about %.0f hosts (%d cores).\n", cores / (pg_pct / 100 / h), cores
}'
