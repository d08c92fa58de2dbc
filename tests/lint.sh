#!/usr/bin/env bash
# The written style is checked, not hoped for: clang-format over every C file.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(find src tests -name '*.[ch]' 2>/dev/null)
[[ -n $files ]] || { echo 'no C files found'; exit 1; }
clang-format --dry-run --Werror $files
echo ok
