#!/usr/bin/env bash
# Seed 004's virtual-router study on this machine (issue 14): the forwarding
# rate of 64-byte frames (RFC 2544 throughput: loss <= 0.1 %, searched,
# repeated, 95% CI) through Linux routers in namespaces of the run's own,
# for routes {1k, 10k, 100k} x routers {1, 2, 4} x path {bridge, routed,
# direct}, with the ICMP echo latency through router 0 and the time
# 100,000 routes take to install. The generator runs on CPU 0, the routers'
# work is steered to the other CPUs. Prints markdown (bench/results/router.md
# keeps the committed table) with seed 004's findings beside it.
#
# usage: bench/router.sh [TRIAL] [REPEATS]   (about 15 minutes with 0.5s 3)
# PLATFORM=vm makes the routers QEMU guests (bridge and routed paths only);
# PATHS, ROUTERS and ROUTES narrow the sweep ("bridge routed", "1 2", "1000").
set -euo pipefail
cd "$(dirname "$0")/.."

trial=${1:-0.5s}
repeats=${2:-3}
platform=${PLATFORM:-netns}
default_paths="bridge routed direct"
[[ $platform == vm ]] && default_paths="bridge routed"
paths=${PATHS:-$default_paths}
routers_list=${ROUTERS:-1 2 4}
routes_list=${ROUTES:-1000 10000 100000}
vp=${VIRTPERF:-./build/src/virtperf}
[[ -x $vp ]] || { echo "build first: make" >&2; exit 1; }
command -v jq >/dev/null || { echo "missing jq: scripts/install-deps" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/vp-bench-router.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "## Virtual routers: forwarding rate and latency"
echo
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),"
echo "kernel $(uname -r); generator on CPU 0, routers' work steered to the others (RPS);"
echo "64-byte frames, loss <= 0.1 %, trials of $trial, $repeats searches per row;"
echo "routers: $platform."
echo
echo "| path | routers | routes | accel | frames/s (mean) | 95% CI | per router (min-max %) | echo idle median µs | echo loaded median µs | routes installed in s | tester the limit |"
echo "| --- | ---: | ---: | --- | ---: | --- | --- | ---: | ---: | ---: | --- |"
for path in $paths; do
    for routers in $routers_list; do
        for routes in $routes_list; do
            "$vp" router --platform "$platform" --path "$path" --routers "$routers" --routes "$routes" --trial "$trial" \
                --repeats "$repeats" --echoes 300 --store "$work/store.db" --json >"$work/r.json"
            jq -r --arg path "$path" '
                def k: . / 1000 | round | tostring + "k";
                .end as $r |
                "| \($path) | \(.start.params.routers) | \(.start.params.routes) | \(.start.platform.accel // "-") | \($r.rate_mean | round) | " +
                (if $r.ci95_lo == null then "-" else "\($r.ci95_lo | k) .. \($r.ci95_hi | k)" end) +
                " | " + (if ($r.router_share | length) > 1
                         then "\($r.router_share | min * 1000 | round / 10)-\($r.router_share | max * 1000 | round / 10)"
                         else "-" end) +
                " | \($r.latency_idle.median_us * 10 | round / 10) | \($r.latency_loaded.median_us * 10 | round / 10)" +
                " | \($r.install_s | max * 1000 | round / 1000) | \($r.generator_limited) |"' "$work/r.json"
        done
    done
done
echo
echo "Seed 004 (Xen 2012, 1 Gb/s NICs): native Linux forwarded up to 750 kframes/s, Xen's bridge"
echo "and routed modes at most 150 and 200 k, SR-IOV (direct) about native; the rate did not"
echo "change with 1k, 10k or 100k routes; four routers at once forwarded 30 % less in all."
echo
echo "Rerun: \`bench/router.sh [TRIAL] [REPEATS]\` as root. Nothing else may run meanwhile."
