#!/usr/bin/env bash
# Run shipped studies (experiments/NAME.yaml) into one store and keep what
# EXPERIMENTS.md quotes: each one's results and model tables as text, its
# HTML report, and PNGs of the report figures named on the command line.
#   flock /work/bench.lock bench/studies.sh STORE NAME[:FIGURE-TEXT[|FIGURE-TEXT...]]...
# e.g. bench/studies.sh /var/tmp/studies.db 'cpu-queueing:measured vs Estimate'
# Outputs in bench/out/studies/NAME.{json,html}, bench/results/studies/NAME.txt
# (committed: the tables EXPERIMENTS.md quotes) and docs/study-NAME-K.png.
# libvirtd is started for the run when it is not up (tests/with-libvirtd).
# Nothing else may run meanwhile: these are measurements.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { sed -n 2,11p "$0" >&2; exit 2; }
[[ -n ${VP_STUDIES_LIBVIRTD:-} ]] || exec env VP_STUDIES_LIBVIRTD=1 tests/with-libvirtd "$0" "$@"
export VIRTPERF_STORE=$1
shift
vp=build/src/virtperf
out=bench/out/studies
tables=bench/results/studies
mkdir -p "$out" "$tables" docs
ninja -C build >/dev/null
for spec in "$@"; do
    name=${spec%%:*}
    figures=${spec#"$name"}
    figures=${figures#:}
    start=$SECONDS
    echo "== $name ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
    "$vp" run "experiments/$name.yaml" --json >"$out/$name.json"
    id=$(jq -r .start.experiment_id "$out/$name.json")
    {
        echo "# experiments/$name.yaml: experiment $id, $((SECONDS - start)) s," \
            "$(date -u +%F), kernel $(uname -r), $(nproc) CPUs"
        "$vp" results experiment "$id"
        "$vp" model "$id" 2>/dev/null || true
    } >"$tables/$name.txt"
    cat "$tables/$name.txt"
    "$vp" report "$id" -o "$out/$name.html"
    k=0
    IFS='|' read -r -a wanted <<<"$figures"
    for text in "${wanted[@]}"; do
        [[ -n $text ]] || continue
        k=$((k + 1))
        python3 tests/cli/cdp.py --screenshot "docs/study-$name-$k.png" --figure "$text" \
            "file://$PWD/$out/$name.html" 2 "document.body.getAttribute('data-chart-count')" \
            >/dev/null
        echo "figure '$text': docs/study-$name-$k.png"
    done
done
