#!/usr/bin/env bash
# Instructions per allocation on the inline fast path, from C (mpool_alloc)
# and from C++ (mpool::Pool::allocate), counted by callgrind: exact and
# repeatable, unlike timings.
#   bench/count_instructions.sh [build directory of the release preset]
set -euo pipefail
dir=${1:-build/release}
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }
count() { # instructions of one run: count COUNT [baseline]
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$loop" "$@" 2>&1 |
    sed -n 's/.*I *refs: *//p' | tr -d ,
}
per_iteration() { # instructions per extra iteration between 1M and 2M iterations
  local small big
  small=$(count 1000000 "$@")
  big=$(count 2000000 "$@")
  awk -v b="$big" -v s="$small" 'BEGIN { printf "%.2f", (b - s) / 1000000 }'
}
for pair in "C mpool_alloc|mpool_alloc_loop" "C++ Pool::allocate|mpool_alloc_loop_cpp"; do
  label=${pair%%|*}
  loop=$dir/bench/${pair##*|}
  with_alloc=$(per_iteration)
  without=$(per_iteration baseline)
  echo "$label: $with_alloc instructions per iteration, $without without the allocation:" \
       "$(awk -v a="$with_alloc" -v b="$without" 'BEGIN { printf "%.2f", a - b }') per allocation (slow path amortised in)"
done
