#!/usr/bin/env bash
# The workloads beside the familiar tools, in one run on this machine:
#   disk-zfg (mode plain; sync none, fsync, direct) beside fio --rw=write with
#   the same file size, passes and sync policy, and mem-masr beside
#   stress-ng --memrate (memset and read64 rates) over the same number of bytes.
# Prints a markdown table; bench/results/workloads.md keeps the committed one.
#
# usage: bench/workloads.sh [SIZE] [COUNT] [ROUNDS] [DIR]   (default 1G 2 3 /var/tmp)
set -euo pipefail
cd "$(dirname "$0")/.."

size=${1:-1G}
count=${2:-2}
rounds=${3:-3}
dir=${4:-/var/tmp}
vp=./build/src/virtperf
[[ -x $vp ]] || { echo "build first: make" >&2; exit 1; }
for tool in fio stress-ng jq; do
    command -v $tool >/dev/null || { echo "missing $tool: scripts/install-deps" >&2; exit 1; }
done

work=$(mktemp -d "$dir/vp-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export VIRTPERF_STORE=$work/store.db

# mean of a harmonic-averaged rate from a virtperf run
vp_rate() { # workload metric options...
    local w=$1 metric=$2
    shift 2
    "$vp" workload run "$w" --rounds "$rounds" --warmup 1 --json "$@" |
        jq -r --arg m "$metric" '.end.summary[$m]
            | def r2: . * 100 | round / 100;
              "\(.mean | r2) ± \(if .ci95_half == null then "∞" else (.ci95_half | r2) end)"'
}

# fio's write bandwidth in MB/s (10^6), mean of $rounds runs
fio_rate() { # extra fio options...
    local sum=0 r bw
    for r in $(seq 1 "$rounds"); do
        bw=$(fio --name=zfg --directory="$work" --rw=write --bs=1M --size="$size" --loops="$count" \
            --ioengine=psync --fallocate=none --unlink=1 --output-format=json "$@" |
            jq '.jobs[0].write.bw_bytes')
        sum=$(echo "$sum + $bw / 1000000" | bc -l)
    done
    printf '%.1f\n' "$(echo "$sum / $rounds" | bc -l)"
}

# stress-ng memrate's rate for one method, MB/s
memrate() { # method
    stress-ng --memrate 1 --memrate-bytes "$size" --memrate-ops "$rounds" --metrics 2>&1 |
        awk -v m="$1" '$6 == m && $7 == "MB" { print $5 }'
}

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "## virtperf workloads beside fio and stress-ng"
echo
echo "Machine: $(nproc) CPUs, $cpu, $(uname -r), $(df -hT "$dir" | awk 'NR==2 {print $2 " at " $7}')."
echo "Size $size, $count passes per round, $rounds rounds (virtperf: mean ± 95% CI half-width)."
echo
echo "| measurement | virtperf | peer tool | peer |"
echo "| --- | --- | --- | --- |"
for sync in none fsync direct; do
    case $sync in
    none) fio_opts=() ;;
    fsync) fio_opts=(--fsync_on_close=1) ;;
    direct) fio_opts=(--direct=1) ;;
    esac
    z=$(vp_rate disk-zfg write_rate --size "$size" --count "$count" --sync "$sync" --dir "$work")
    f=$(fio_rate "${fio_opts[@]}")
    echo "| sequential write, sync $sync (MB/s) | disk-zfg $z | fio --rw=write ${fio_opts[*]} | $f |"
done
set_rate=$(vp_rate mem-masr set_rate --size "$size")
read_rate=$(vp_rate mem-masr read_rate --size "$size")
echo "| memory set (GB/s) | mem-masr $set_rate | stress-ng --memrate memset | $(memrate memset | awk '{printf "%.2f", $1/1000}') |"
echo "| memory read (GB/s) | mem-masr $read_rate | stress-ng --memrate read64 | $(memrate read64 | awk '{printf "%.2f", $1/1000}') |"
echo
echo "disk-zfg creates its file anew (O_TRUNC) for every pass, as ZFG did; on ext4 the"
echo "replace-by-truncate heuristic (auto_da_alloc) starts writeback at each close, which fio's"
echo "in-place overwrite does not trigger. \"∞\": the interval of a harmonic mean with no upper bound."
echo
echo "mem-masr's set includes allocation and first-touch page faults (MASR allocates"
echo "each round); stress-ng's memrate reuses one buffer, so it shows the cache-warm ceiling."
