#!/usr/bin/env bash
# Instructions per allocation on the inline fast path, from C (mpool_alloc)
# and from C++ (mpool::Pool::allocate), counted by callgrind: exact and
# repeatable, unlike timings.
#   bench/count_instructions.sh [build directory of the release preset]
# The bench preset (cmake --workflow --preset bench) builds the two loops.
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the script too
dir=${1:-build/release}
fail() { echo "count_instructions.sh: $*" >&2; exit 1; }
command -v valgrind >/dev/null || fail "valgrind is needed (apt-get install valgrind)"
for program in mpool_alloc_loop mpool_alloc_loop_cpp; do
  [ -x "$dir/bench/$program" ] ||
    fail "$dir/bench/$program is not built: run 'cmake --workflow --preset bench' (it builds the loops)," \
         "or 'cmake --build --preset release --target mpool_alloc_loop mpool_alloc_loop_cpp'"
done
count() { # instructions of one run: count COUNT [baseline]
  local output refs
  output=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$loop" "$@" 2>&1) ||
    fail "valgrind --tool=callgrind $loop $* failed: $output"
  refs=$(sed -n 's/.*I *refs: *//p' <<<"$output" | tr -d ,)
  [[ $refs =~ ^[0-9]+$ ]] || fail "no instruction count in callgrind's output for $loop $*: $output"
  echo "$refs"
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
