#!/usr/bin/env bash
# A workload under libfaketime (its clock at 2x and at 0.5x) marks its
# rounds to a time server that runs without it: the internal elapsed is off
# by the factor, the external one is not, and the rounds are flagged.
source "$(dirname "$0")/timing_lib.sh"

lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[[ -r $lib ]] || { echo "SKIP: libfaketime not installed"; exit 77; }

start_timeserver
run() { # run FAKETIME-SPEC; the process's true wall time (this shell's clock) in $wall
    local spec=$1 t0
    t0=$(date +%s%N)
    # (an ASan build must be told that the preloaded library comes first)
    expect_exit 0 env ${spec:+LD_PRELOAD=$lib FAKETIME="+0 x$spec"} \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        "$VP" workload run cpu-gzip --preset small --size 8M --rounds 3 --warmup 1 \
        --timeserver "$ts_addr" --key-file "$work/key" --appliance guest1 --json
    wall=$(echo "($(date +%s%N) - $t0) / 1000000000" | bc -l)
    cp "$work/out" "$work/run-${spec:-1}.json"
}

# an honest clock: the two figures within 2 %, at most one round flagged (a
# mark can wait a few ms for a CPU); when other work took the CPUs meanwhile,
# marks wait longer and that is the host's doing, not judged
other_work_begin "$ts_pid"
run ""
other_work_end "$ts_pid"
if ! jq -e 'all(.rounds[]; (.ratio - 1 | fabs) < 0.02) and
            ([.rounds[] | select(.clock_distorted)] | length) <= 1' "$work/run-1.json" >/dev/null; then
    rounds=$(jq -c '[.rounds[] | {elapsed_s, external_s}]' "$work/run-1.json")
    [[ $other_pct -gt 10 ]] || fail "honest run flagged: $rounds (other work ${other_pct}%)"
    skip_judgement "honest run flagged $rounds while other work used ${other_pct}% of the CPUs"
fi

for factor in 2 0.5; do
    run $factor
    f=$work/run-$factor.json
    jq -e '.rounds | length == 4' "$f" >/dev/null || fail "x$factor: 4 rounds expected"
    # internal = factor x external (libfaketime scales the guest's clocks exactly)
    jq -e --argjson k "$factor" \
        'all(.rounds[]; .clock_distorted and ((.ratio - $k) / $k | fabs) < 0.05)' "$f" >/dev/null ||
        fail "x$factor: rounds not flagged at ratio $factor: $(jq -c '[.rounds[] | {ratio, clock_distorted}]' "$f")"
    # external right against the true clock: the rounds fit in the process's
    # wall time and fill most of it (setup is a small part), while the
    # internal sum is off by the factor (x2: longer than the process lived)
    ext=$(jq '[.rounds[].external_s] | add' "$f")
    int=$(jq '[.rounds[].elapsed_s] | add' "$f")
    [[ $(echo "$ext <= $wall && $ext >= 0.5 * $wall" | bc -l) -eq 1 ]] ||
        fail "x$factor: external sum $ext s, process wall time $wall s"
    if [[ $factor == 2 ]]; then
        [[ $(echo "$int > 1.1 * $wall" | bc -l) -eq 1 ]] || fail "x2: internal $int s, wall $wall s"
    else
        [[ $(echo "$int < 0.6 * $wall" | bc -l) -eq 1 ]] || fail "x0.5: internal $int s, wall $wall s"
    fi
    # the same figures in timing show, from the store
    id=$(jq .start.run_id "$f")
    expect_exit 0 "$VP" timing show "$id" --json
    jq -e '.end.clock_distorted_rounds == 4 and (.rounds[0].appliance == "guest1")' "$work/out" \
        >/dev/null || fail "timing show $id: $(cat "$work/out")"
    expect_exit 0 "$VP" timing show "$id"
    [[ $(grep -c DISTORTED "$work/out") -eq 4 ]] || fail "timing show table: $(cat "$work/out")"
    expect_exit 0 "$VP" results show "$id" --csv
    head -1 "$work/out" | grep -q ',external_s,ratio,clock_distorted,' || fail "csv header"
    [[ $(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "clock_distorted") c = i; next }
                  $c == "true"' "$work/out" | wc -l) -eq 4 ]] || fail "csv flags"
    [[ $(sql "SELECT count(*) FROM timing_rounds WHERE run_id = $id AND clock_distorted = 1") -eq 4 ]] ||
        fail "store: timing_rounds"
    # the report draws the two clocks round by round, the 4 rounds flagged
    expect_exit 0 "$VP" report "run:$id" -o "$work/clocks.html"
    report_data "$work/clocks.html" | jq -e '[.sections[].figures[]
        | select(.title | startswith("the run'"'"'s own clock vs the time server'"'"'s"))
        | (.series | length) == 2 and ([.table.rows[] | select(.[5] == "distorted")] | length) == 4]
        == [true]' >/dev/null || fail "report: the clocks figure of run $id"
done

stop_timeserver
[[ $(counter accepted) -eq 24 ]] || fail "server accepted $(counter accepted) marks, expected 24"
[[ $(counter bad_hmac) -eq 0 ]] || fail "bad_hmac"
end_test
