#!/usr/bin/env bash
# svn.sh - a Subversion workload with stock APR and with libmpool_apr.so
# preloaded, command by command back to back (which goes first alternates),
# each under GNU time: wall time and peak RSS, and their ratios shim/stock.
#
# The workload, on a generated history of N revisions (make_dump.awk: 111
# files, 3 edits a revision, hot.c edited every 2nd revision):
#   svnadmin create; svnadmin load of the dump; svnadmin verify;
#   svn log -v of the whole history; svn blame trunk/hot.c; svn diff -r 1:HEAD
#   of trunk; svnadmin dump; a checkout of trunk over svn:// from
#   `svnserve -X` on 127.0.0.1 (one connection, then it exits), the server
#   measured too.
# Every command's output and exit code go into a transcript per mode (the
# big outputs by their digest): the two transcripts must be identical once
# the work directory is replaced, and each command with the shim must print
# the shim's stats line once (it shows that the pools were mpool's).
# The work directory is on tmpfs (/dev/shm) when there is one, so that the
# figures are the programs' rather than the disk's (svnadmin load syncs every
# revision: on this machine's disk it takes minutes).
#
# usage: svn.sh SHIM [--quick] [--revisions N] [--keep]
#   --quick        300 revisions rather than 3000
#   --revisions N  N revisions
#   --keep         keep the work directory
# Exit: 0 identical, 1 a difference or a failed check, 77 skipped.
set -uo pipefail
# shellcheck source=bench/real/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shim="" revisions=3000 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) revisions=300; shift ;;
    --revisions) revisions="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) shim="$1"; shift ;;
  esac
done
real_need svn svnadmin svnserve /usr/bin/time timeout
shim="$(readlink -f "$shim")"
[ -f "$shim" ] || { echo "FAIL: no shim at '$shim'"; exit 1; }

top="${TMPDIR:-/tmp}"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then top=/dev/shm; fi
work="$(mktemp -d "$top/mpool-svn.XXXXXX")"
servers=()
cleanup() {
  local pid
  for pid in "${servers[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  if [ $keep = 0 ]; then rm -rf "$work"; else echo "work directory kept: $work"; fi
}
trap cleanup EXIT
export LC_ALL=C TZ=UTC
umask 022
measure=1 failed=0 step=0

# both COMMAND...: the command in both modes, back to back, `first` first.
first=stock
both() {
  local mode modes=(stock shim)
  if [ $first = shim ]; then modes=(shim stock); fi
  for mode in "${modes[@]}"; do
    local dir="$work/$mode"
    # The arguments name the mode's directory as @DIR@.
    local args=("${@//@DIR@/$dir}")
    local input=/dev/null
    if [ -n "${stdin_from:-}" ]; then input="$dir/$stdin_from"; fi
    if [ -n "${to:-}" ]; then
      stdout_to="$dir/$to" run "$mode" "$input" "${args[@]}"
      echo "(digest of $to) $(normalize "$dir" <"$dir/$to" | sha256sum | cut -c1-64)" >>"$dir/transcript"
    else
      run "$mode" "$input" "${args[@]}"
    fi
  done
  if [ $first = stock ]; then first=shim; else first=stock; fi
}

# served_checkout: svnserve -X (measured as a command of its own) and a
# checkout of trunk from it, in both modes.
served_checkout() {
  local mode modes=(stock shim) port prefix=() server status
  if [ $first = shim ]; then modes=(shim stock); fi
  for mode in "${modes[@]}"; do
    local dir="$work/$mode"
    port=$(real_free_port)
    real_prefix "$mode"
    # timeout outside the prefix: a preloaded `timeout` would print a stats line of its own.
    (cd "$dir" && exec /usr/bin/time -f "%e %M" -o "$dir/time.server" timeout 120 "${prefix[@]}" \
      svnserve -X --foreground -r "$dir" --listen-host 127.0.0.1 --listen-port "$port" \
      >"$dir/server.out" 2>"$dir/server.err") &
    server=$!
    servers+=("$server")
    if ! real_wait_listen "$port" 20; then echo "FAIL: svnserve ($mode) did not listen"; failed=1; fi
    run "$mode" /dev/null svn --non-interactive --config-dir "$dir/config" checkout "svn://127.0.0.1:$port/repo/trunk" wc
    wait "$server"
    status=$?
    sed -i "s|127.0.0.1:$port/|127.0.0.1:PORT/|" "$dir/transcript"
    cat "$dir/time.server" >>"$dir/time"
    echo "svnserve -X" >>"$dir/labels"
    if [ "$mode" = shim ]; then
      local stats
      stats=$(grep -c "$real_stats_line" "$dir/server.err")
      if [ "$stats" != 1 ]; then echo "FAIL: svnserve printed $stats stats lines with the shim, not 1"; failed=1; fi
      grep '^mpool_apr: ' "$dir/server.err" | sed 's/^/svnserve -X: /' >>"$dir/stats"
      grep -v '^mpool_apr: ' "$dir/server.err" >"$dir/server.err.kept"; mv "$dir/server.err.kept" "$dir/server.err"
    fi
    # Its log (on stderr) starts each line with its pid.
    { echo "\$ svnserve -X"; cat "$dir/server.out"; sed -E 's/^[0-9]+ /PID /' "$dir/server.err"; echo "[exit $status]"; } >>"$dir/transcript"
  done
  if [ $first = stock ]; then first=shim; else first=stock; fi
}

mkdir -p "$work/stock" "$work/shim"
LC_ALL=C awk -v revisions="$revisions" -f "$(dirname "${BASH_SOURCE[0]}")/make_dump.awk" >"$work/stock/history.dump"
cp "$work/stock/history.dump" "$work/shim/history.dump"
svn=(svn --non-interactive --config-dir @DIR@/config)
both svnadmin create repo
to=load.out stdin_from=history.dump both svnadmin load --no-flush-to-disk repo
to=verify.out both svnadmin verify repo
to=log.out both "${svn[@]}" log -v file://@DIR@/repo
to=blame.out both "${svn[@]}" blame file://@DIR@/repo/trunk/hot.c
to=diff.out both "${svn[@]}" diff -r 1:HEAD file://@DIR@/repo/trunk
to=dump.out both svnadmin dump repo
served_checkout

if real_compare_transcripts stock shim; then
  echo "svn: $revisions revisions, $(grep -c '^\$ ' "$work/stock.transcript") commands: transcripts identical (stock APR and shim)"
else
  failed=1
fi
echo "GNU time per command: elapsed s and peak RSS KiB, ratios shim/stock"
printf '  %-16s | %7s %7s %6s | %9s %9s %6s\n' command "stock s" "shim s" ratio "stock KiB" "shim KiB" ratio
# time_ratio A B: B / A, or "-" when either is under 0.1 s (too short to time).
time_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a < 0.1 || b < 0.1) print "-"; else printf "%.2f\n", b / a }'; }
paste -d' ' "$work/stock/labels" "$work/stock/time" "$work/shim/time" | while read -r program sub ts ks tm km; do
  printf '  %-16s | %7.2f %7.2f %6s | %9d %9d %6s\n' "$program $sub" "$ts" "$tm" "$(time_ratio "$ts" "$tm")" \
    "$ks" "$km" "$(real_ratio "$ks" "$km")"
done
total_stock=$(awk '{ s += $1 } END { print s }' "$work/stock/time")
total_shim=$(awk '{ s += $1 } END { print s }' "$work/shim/time")
printf '  %-16s | %7.2f %7.2f %6s |\n' "total" "$total_stock" "$total_shim" "$(time_ratio "$total_stock" "$total_shim")"
echo "the shim's stats lines:"
sed 's/^/  /' "$work/shim/stats"
exit $failed
