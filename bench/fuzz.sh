#!/usr/bin/env bash
# Every libFuzzer target (tests/fuzz) for FUZZ_RUNS executions (10,000,000)
# or FUZZ_MAX_SECONDS (1800) a target, whichever comes first, from its
# corpus; the counts go into bench/results/reliability.md's "Fuzzing"
# section (the rows of the targets run replaced, the machine and date with
# them). FUZZ_JOBS targets run at a time (1). Timing: run it alone,
# `flock /work/bench.lock bench/fuzz.sh`. Logs in bench/out/fuzz.
# Usage: [FUZZ_JOBS=N] bench/fuzz.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${FUZZ_RUNS:-10000000}
cap=${FUZZ_MAX_SECONDS:-1800}
results=bench/results/reliability.md
out=bench/out/fuzz
commit=$(git rev-parse --short HEAD) # what the targets are built from
tests/fuzz/build
mkdir -p "$out"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
group() { sed -E ':a;s/^([0-9]+)([0-9]{3})/\1,\2/;ta' <<<"$1"; } # 10000000 -> 10,000,000
jobs=${FUZZ_JOBS:-1} # targets fuzzed at a time (each fuzzer is one process)

# One target: its row of the table in $out/$t.row, its exit status non-zero on a finding.
fuzz_one() {
    local t=$1 work start elapsed secs last cov ft execs rate full crashes=0
    work=$(mktemp -d)
    local opts=(-runs="$runs" -max_total_time="$cap" -timeout=10 -rss_limit_mb=2048
                -print_final_stats=1 -artifact_prefix="$out/$t-")
    [[ -f tests/fuzz/$t.dict ]] && opts+=(-dict="tests/fuzz/$t.dict")
    start=$(date +%s.%N)
    build-fuzz/tests/fuzz/fuzz_"$t" "${opts[@]}" "$work" "tests/fuzz/corpus/$t" >"$out/$t.log" 2>&1 ||
        crashes=1
    elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    secs=$(awk -v e="$elapsed" 'BEGIN { printf "%.0f", e }')
    rm -rf "$work"
    last=$(grep -E '^#[0-9]+' "$out/$t.log" | tail -1)
    cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$last")
    ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$last")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -1)
    rate=$(awk -v n="${execs:-0}" -v e="$elapsed" 'BEGIN { printf "%.0f", n / e }')
    full=$(awk -v r="$rate" -v n="$runs" 'BEGIN { printf "%.0f", n / (r > 0 ? r : 1) / 60 }')
    echo "| $t | $(group "${execs:-0}") | $(group "$rate") | $cov | $ft | $secs | $full | $crashes |" |
        tee "$out/$t.row"
    return "$crashes"
}

failed=0
running=0
for t in "${targets[@]}"; do
    if ((running == jobs)); then
        wait -n || failed=1
        running=$((running - 1))
    fi
    rm -f "$out/$t.row"
    fuzz_one "$t" &
    running=$((running + 1))
done
while ((running > 0)); do
    wait -n || failed=1
    running=$((running - 1))
done
rows=()
for t in "${targets[@]}"; do rows+=("$(cat "$out/$t.row")"); done

# rows of targets not run this time stay (a rerun of one target keeps the others)
if [[ -f $results ]]; then
    while IFS= read -r row; do
        t=$(awk -F' [|] ' '{ print $1 }' <<<"${row#| }")
        [[ " ${targets[*]} " == *" $t "* ]] || rows+=("$row")
    done < <(sed -n '/^## Fuzzing$/,/^## [^F]/p' "$results" | grep -E '^\| [a-z_]+ \| [0-9]')
fi
mapfile -t rows < <(printf '%s\n' "${rows[@]}" | sort)
section=$(
    echo "## Fuzzing"
    echo
    echo "\`flock /work/bench.lock bench/fuzz.sh [TARGET...]\` (last $(date -u +%Y-%m-%d), built at commit $commit):"
    echo "each libFuzzer target of tests/fuzz (clang $(clang -dumpversion), ASan + UBSan, leaks"
    echo "checked) from its corpus for $(group "$runs") executions or $cap s, whichever came first;"
    echo "the last run fuzzed $jobs target(s) at a time (its exec/s per target, CPUs shared)."
    echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)."
    echo "Coverage: libFuzzer's edges (cov) and features (ft) at the end. A crash, leak,"
    echo "undefined behaviour, input over 10 s or 2 GiB counts in crashes. \"min for all\": the"
    echo "minutes $(group "$runs") executions take at that rate (FUZZ_MAX_SECONDS to run them)."
    echo
    echo "| target | executions | exec/s | cov | ft | seconds | min for all | crashes |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${rows[@]}"
)
[[ -f $results ]] || printf '# Reliability (issue 18)\n' >"$results"
# replace the section (up to the next "## "), or add it at the end
awk -v new="$section" '
    /^## Fuzzing$/ { print new; skip = 1; done = 1; next }
    skip && /^## / { skip = 0; print "" }
    !skip { print }
    END { if (!done) print "\n" new }' "$results" >"$results.tmp"
mv "$results.tmp" "$results"
exit "$failed"
