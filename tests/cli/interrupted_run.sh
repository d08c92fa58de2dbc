#!/usr/bin/env bash
# SIGINT stops a run cleanly: exit 1, stored as interrupted, no scratch files.
. "$(dirname "$0")/lib.sh"

mkdir "$work/disk"
"$VP" workload run disk-zfg --size 16M --count 4 --rounds 100000 --warmup 0 --dir "$work/disk" \
    >/dev/null 2>"$work/int.err" &
pid=$!
for _ in $(seq 1 300); do
    [[ $(sql "SELECT count(*) FROM rounds" 2>/dev/null || echo 0) -ge 2 ]] && break
    sleep 0.1
done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[[ $status -eq 1 ]] || fail "interrupted run exited $status, expected 1"
[[ $(sql "SELECT status FROM runs") == interrupted ]] || fail "status $(sql 'SELECT status FROM runs')"
[[ -z $(ls -A "$work/disk") ]] || fail "scratch files left: $(ls -A "$work/disk")"
[[ $(wc -l <"$work/int.err") -eq 1 ]] || fail "expected one line on stderr: $(cat "$work/int.err")"
echo ok
