#!/usr/bin/env bash
# The build workload from the command line (issue 16): `make -jN` of a
# generated project, every round's objects checked against the reference
# build; its compile and link phases timed apart. A compiler that makes a
# different object in a round (here a wrapper that builds one file with -g
# once the reference build is done) fails the run naming the file; a
# compiler that is not there is an input error; nothing is left in --dir.
. "$(dirname "$0")/lib.sh"
command -v cc >/dev/null && command -v make >/dev/null || { echo "SKIP: no cc or make"; exit 77; }

mkdir "$work/dir"
expect_exit 0 "$VP" workload run build --preset small --rounds 2 --warmup 1 --dir "$work/dir" --json
jq -e '.end.status == "complete" and ([.rounds[] | select(.warmup | not)] | length) == 2
       and all(.rounds[]; .metrics.compile_s > 0 and .metrics.link_s > 0
                          and .elapsed_s >= .metrics.compile_s)' "$work/out" >/dev/null ||
    fail "build: $(jq -c '[.end.status, [.rounds[] | .metrics]]' "$work/out")"
[[ -z $(ls -A "$work/dir") ]] || fail "left in --dir: $(ls -A "$work/dir")"

# a compiler that changes one object after the reference build (its 9
# compilations: 8 units and main.c; one at a time, so that it counts right)
cat >"$work/cc" <<SH
#!/bin/sh
case " \$* " in *" -c "*) n=\$(( \$(cat "$work/count" 2>/dev/null || echo 0) + 1 )); echo \$n >"$work/count" ;; esac
case " \$* " in *u0000.c*) [ "\$(cat "$work/count")" -gt 9 ] && exec cc "\$@" -g ;; esac
exec cc "\$@"
SH
chmod +x "$work/cc"
expect_exit 1 "$VP" workload run build --preset small --rounds 2 --warmup 0 --jobs 1 \
    --dir "$work/dir" --cc "$work/cc"
expect_one_line_error "u0000.o differs from the reference build's"
[[ -z $(ls -A "$work/dir") ]] || fail "left in --dir after the failure: $(ls -A "$work/dir")"

expect_exit 2 "$VP" workload run build --preset small --cc /nonexistent/cc --dir "$work/dir"
expect_one_line_error "cc"
echo ok
