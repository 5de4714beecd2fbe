#!/usr/bin/env bash
# run.sh - the benchmark of real programs on the APR drop-in: Apache httpd
# (httpd.sh) and a Subversion workload (svn.sh), each with stock APR and
# with libmpool_apr.so preloaded, back to back in one run. Run by
# `cmake --workflow --preset bench-real` (or bench-real-quick); README,
# "Real programs", says what the figures mean.
#
# usage: run.sh SHIM [--quick]
#   --quick  small counts: a check that the harness works (about 2 minutes)
# Exit: 0 when both parts ran and every response and transcript was
# identical; 1 when a part failed; 77 when a tool is missing.
set -uo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
shim="" quick=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick); shift ;;
    *) shim="$1"; shift ;;
  esac
done
[ -f "$shim" ] || { echo "usage: run.sh path/to/libmpool_apr.so [--quick]"; exit 2; }

echo "== bench/real/run.sh ${quick[*]:-(full)} on $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "   $(/usr/sbin/apache2 -v 2>/dev/null | head -1); $(svn --version --quiet 2>/dev/null | sed 's/^/svn /'); $(dpkg-query -W -f='libapr1 ${Version}' libapr1 2>/dev/null)"
echo "   shim: $(readlink -f "$shim")"
status=0
for part in httpd svn; do
  echo
  echo "== $part"
  start=$SECONDS
  bash "$here/$part.sh" "$shim" "${quick[@]}"
  code=$?
  echo "($part: $((SECONDS - start)) s, exit $code)"
  if [ $code = 1 ] || { [ $code != 0 ] && [ $code != 77 ]; }; then status=1; fi
  if [ $code = 77 ] && [ $status = 0 ]; then status=77; fi
done
exit $status
