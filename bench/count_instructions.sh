#!/usr/bin/env bash
# Instructions counted by callgrind (exact and repeatable, unlike timings):
# per allocation on the inline fast path, from C (mpool_alloc) and from C++
# (mpool::Pool::allocate); per create + destroy of an empty child and per
# whole request, for mpool, APR and the floor (a bare bump pointer doing the
# request's writes and copies).
#   bench/count_instructions.sh [build directory of the release preset]
# The bench preset (cmake --workflow --preset bench) builds the two loops.
set -euo pipefail
shopt -s inherit_errexit # a failure inside $(...) stops the script too
dir=${1:-build/release}
fail() { echo "count_instructions.sh: $*" >&2; exit 1; }
command -v valgrind >/dev/null || fail "valgrind is needed (apt-get install valgrind)"
for program in mpool_alloc_loop mpool_alloc_loop_cpp mpool_lifecycle_loop; do
  [ -x "$dir/bench/$program" ] ||
    fail "$dir/bench/$program is not built: run 'cmake --workflow --preset bench' (it builds the loops)," \
         "or 'cmake --build --preset release --target mpool_alloc_loop mpool_alloc_loop_cpp mpool_lifecycle_loop'"
done
count() { # instructions of one run: count COUNT [baseline]
  local output refs
  output=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$loop" "$@" 2>&1) ||
    fail "valgrind --tool=callgrind $loop $* failed: $output"
  refs=$(sed -n 's/.*I *refs: *//p' <<<"$output" | tr -d ,)
  [[ $refs =~ ^[0-9]+$ ]] || fail "no instruction count in callgrind's output for $loop $*: $output"
  echo "$refs"
}
per_extra() { # instructions per extra iteration between N and 2N of them: per_extra N [ARGS...]
  local n=$1 small big
  shift
  small=$(count "$n" "$@")
  big=$(count "$((n * 2))" "$@")
  awk -v b="$big" -v s="$small" -v n="$n" 'BEGIN { printf "%.2f", (b - s) / n }'
}
for pair in "C mpool_alloc|mpool_alloc_loop" "C++ Pool::allocate|mpool_alloc_loop_cpp"; do
  label=${pair%%|*}
  loop=$dir/bench/${pair##*|}
  with_alloc=$(per_extra 1000000)
  without=$(per_extra 1000000 baseline)
  echo "$label: $with_alloc instructions per iteration, $without without the allocation:" \
       "$(awk -v a="$with_alloc" -v b="$without" 'BEGIN { printf "%.2f", a - b }') per allocation (slow path amortised in)"
done

# Lifecycles: instructions per iteration between 20,000 and 40,000 of them.
loop=$dir/bench/mpool_lifecycle_loop
per_cycle() { per_extra 20000 "$1"; } # per_cycle WHAT
create=$(per_cycle create)
request=$(per_cycle request)
floor=$(per_cycle floor_request)
if "$loop" 1 apr_create >/dev/null 2>&1; then
  apr_create=$(per_cycle apr_create)
  apr_request=$(per_cycle apr_request)
  echo "create + destroy of an empty child: mpool $create, APR $apr_create instructions" \
       "(mpool/APR $(awk -v a="$create" -v b="$apr_create" 'BEGIN { printf "%.2f", a / b }'))"
  echo "a whole request: mpool $request, APR $apr_request, floor $floor instructions" \
       "(mpool/floor $(awk -v a="$request" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')," \
       "mpool/APR $(awk -v a="$request" -v b="$apr_request" 'BEGIN { printf "%.2f", a / b }'))"
else
  echo "create + destroy of an empty child: mpool $create instructions (APR not built in)"
  echo "a whole request: mpool $request, floor $floor instructions" \
       "(mpool/floor $(awk -v a="$request" -v b="$floor" 'BEGIN { printf "%.2f", a / b }'))"
fi
