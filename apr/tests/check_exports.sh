#!/usr/bin/env bash
# check_exports.sh SHIM LIST [LIBAPR] - the shim defines every function of
# LIST (apr_pool_symbols.txt), and exports nothing else; when LIBAPR is
# given, the list is still what that libapr exports from its pool module
# (a new APR with a new pool function would show here).
set -euo pipefail
shim="$1" list="$2" libapr="${3:-}"
pool_module='^apr_(pool_|palloc|pcalloc|psprintf$|pvsprintf$|allocator_)'
wanted=$(grep '^apr_' "$list" | LC_ALL=C sort)
defined=$(nm -D --defined-only "$shim" | awk '{print $3}' | LC_ALL=C sort)
if [ "$wanted" != "$defined" ]; then
  echo "FAIL: the shim's exports differ from $list (< list, > shim):"
  diff <(echo "$wanted") <(echo "$defined") || true
  exit 1
fi
echo "the shim defines the $(echo "$wanted" | wc -l) functions of the list, and nothing else"
if [ -n "$libapr" ] && [ -e "$libapr" ]; then
  stock=$(nm -D --defined-only "$libapr" | awk '{print $3}' | grep -E "$pool_module" | LC_ALL=C sort)
  if [ "$wanted" != "$stock" ]; then
    echo "FAIL: $libapr's pool module exports differ from the list (< list, > libapr):"
    diff <(echo "$wanted") <(echo "$stock") || true
    exit 1
  fi
  echo "the list is what $libapr exports from its pool module"
fi
