#!/usr/bin/env bash
# Instructions per call of the string helpers, mpool's and its peers', counted
# by callgrind (exact and repeatable, unlike timings); the loop's own cost is
# subtracted.
#   bench/count_string_instructions.sh [build directory of the release preset]
set -euo pipefail
dir=${1:-build/release}
loop=$dir/bench/mpool_strings_loop
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
count() { # instructions of one run: count COUNT WHAT
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$loop" "$@" 2>&1 |
    sed -n 's/.*I *refs: *//p' | tr -d ,
}
per_call() { # instructions per extra call between N and 2N calls: per_call N WHAT
  local small big
  small=$(count "$1" "$2")
  big=$(count "$(($1 * 2))" "$2")
  awk -v b="$big" -v s="$small" -v n="$1" 'BEGIN { printf "%.1f", (b - s) / n }'
}
base=$(per_call 100000 baseline)
for what in strdup apr_strdup strcat apr_strcat printf apr_printf printf40 apr_printf40 asprintf \
            printf100k apr_printf100k asprintf100k; do
  n=100000
  case $what in *100k) n=200 ;; esac
  if ! "$loop" 1 "$what" >/dev/null 2>&1; then continue; fi # a peer that was not built in
  echo "$what: $(awk -v a="$(per_call $n "$what")" -v b="$base" 'BEGIN { printf "%.1f", a - b }') instructions per call"
done
