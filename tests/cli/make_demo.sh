#!/usr/bin/env bash
# `make demo` is a README command: the Makefile must run the binary Meson
# builds. Checked with make's dry run against this test's own build dir.
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(dirname "$(dirname "$VP")")
line=$(make -s -n -C "$root" demo BUILD="$build" | grep 'virtperf demo' | tail -1)
bin=${line%% *}
[[ -n $bin ]] || fail "make -n demo runs no virtperf demo"
[[ $(realpath "$bin") == $(realpath "$VP") ]] || fail "make demo runs $bin, not the built $VP"
echo ok
