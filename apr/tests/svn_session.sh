#!/usr/bin/env bash
# svn_session.sh - runs one Subversion session twice, with stock APR and with
# libmpool_apr.so preloaded, and compares the transcripts byte for byte once
# what differs from run to run is replaced (the work directory, UUIDs,
# dates). Each transcript holds every command, its output (stdout, then
# stderr) and its exit code. The run with the shim must also print the
# shim's stats line once per command (MPOOL_APR_STATS=1): it shows that the
# pools were mpool's; the line is checked and taken out of the transcript.
#
# usage: svn_session.sh SHIM [--files N] [--valgrind] [--measure] [--keep]
#   SHIM        path to libmpool_apr.so
#   --files N   import only the first N files of the tree (default: all)
#   --valgrind  run the shim's session under Valgrind memcheck too: any
#               error fails the test (the logs are kept and named)
#   --measure   time each command with GNU time (-f "%e %M") and print the
#               two sessions' figures side by side
#   --keep      keep the work directory
# The tree: MPOOL_SVN_TREE (default /usr/include/linux, the kernel's UAPI
# headers from linux-libc-dev).
# Exit: 0 identical, 1 different (or a check failed), 77 skipped (no svn).
set -uo pipefail
# real_need, run (one command into the transcript), normalize, real_compare_transcripts.
# shellcheck source=bench/real/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../bench/real/lib.sh"

shim=""
files=0
valgrind=0
measure=0
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --files) files="$2"; shift 2 ;;
    --valgrind) valgrind=1; shift ;;
    --measure) measure=1; shift ;;
    --keep) keep=1; shift ;;
    *) shim="$1"; shift ;;
  esac
done
tree="${MPOOL_SVN_TREE:-/usr/include/linux}"

real_need svn svnadmin
if [ ! -d "$tree" ]; then echo "SKIP: no tree to import at $tree (apt-get install linux-libc-dev)"; exit 77; fi
if [ $measure = 1 ] && [ ! -x /usr/bin/time ]; then echo "SKIP: --measure needs GNU time (apt-get install time)"; exit 77; fi
if [ $valgrind = 1 ] && ! command -v valgrind >/dev/null; then echo "SKIP: valgrind not found"; exit 77; fi
shim="$(readlink -f "$shim")"
[ -f "$shim" ] || { echo "FAIL: no shim at '$shim'"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/mpool-svn.XXXXXX")"
if [ $keep = 0 ]; then trap 'rm -rf "$work"' EXIT; fi
export LC_ALL=C TZ=UTC
umask 022

# The tree to import, the same for both sessions.
mkdir -p "$work/tree"
(cd "$tree" && find . -type f | cut -c3- | LC_ALL=C sort | { if [ "$files" -gt 0 ]; then head -n "$files"; else cat; fi; } |
  while IFS= read -r f; do mkdir -p "$work/tree/$(dirname "$f")"; cp "$f" "$work/tree/$f"; done)
imported=$(find "$work/tree" -type f | wc -l)

# The session, in `mode`'s directory.
session() {
  local mode="$1" dir="$work/$1" url
  mkdir -p "$dir"
  step=0
  url="file://$dir/repo"
  local svn=(svn --non-interactive --config-dir "$dir/config")
  run "$mode" /dev/null svnadmin create repo
  run "$mode" /dev/null "${svn[@]}" import -m "import the tree" "$work/tree" "$url/trunk"
  run "$mode" /dev/null "${svn[@]}" checkout "$url/trunk" wc
  # Edit 40 files, remove one, add one (the same ones in both sessions).
  local files=() f
  mapfile -t files < <(cd "$dir/wc" && find . -path ./.svn -prune -o -type f -print | cut -c3- | LC_ALL=C sort)
  for f in "${files[@]:0:40}"; do printf '/* edited by the session */\n' >>"$dir/wc/$f"; done
  local edited="${files[0]}" removed="${files[40]}"
  run "$mode" /dev/null "${svn[@]}" rm "wc/$removed"
  printf 'a file added by the session\n' >"$dir/wc/added.txt"
  run "$mode" /dev/null "${svn[@]}" add wc/added.txt
  run "$mode" /dev/null "${svn[@]}" status wc
  run "$mode" /dev/null "${svn[@]}" commit -m "edit 40 files, remove one, add one" wc
  run "$mode" /dev/null "${svn[@]}" update wc
  run "$mode" /dev/null "${svn[@]}" log -v wc
  run "$mode" /dev/null "${svn[@]}" diff -r 1:2 "$url/trunk"
  run "$mode" /dev/null "${svn[@]}" blame "wc/$edited"
  run "$mode" /dev/null "${svn[@]}" cat -r 1 "$url/trunk/$edited"
  run "$mode" /dev/null "${svn[@]}" propset session:note "set by the session" "wc/$edited"
  run "$mode" /dev/null "${svn[@]}" propset svn:eol-style native wc/added.txt
  run "$mode" /dev/null "${svn[@]}" commit -m "two properties" wc
  run "$mode" /dev/null "${svn[@]}" proplist -v -R wc
  stdout_to="$dir/dump" run "$mode" /dev/null svnadmin dump repo
  run "$mode" /dev/null svnadmin create repo2
  run "$mode" "$dir/dump" svnadmin load repo2
  run "$mode" /dev/null svnadmin verify repo2
  run "$mode" /dev/null "${svn[@]}" list -R "file://$dir/repo2/trunk"
  # The dump in the transcript, by its digest (it is big).
  normalize "$dir" <"$dir/dump" | sha256sum | sed 's/ .*/  (digest of the dump)/' >>"$dir/transcript"
}

failed=0
step=0
other=shim
if [ $valgrind = 1 ]; then other=valgrind; fi
session stock
session "$other"
if real_compare_transcripts stock "$other"; then same=1; else same=0; failed=1; fi
echo "session: $imported files imported, $(grep -c '^\$ ' "$work/stock.transcript") commands, transcript of $(wc -l <"$work/stock.transcript") lines"
if [ $same = 1 ]; then echo "transcripts identical (stock APR and $other)"; fi
echo "the shim's stats lines:"
sed 's/^/  /' "$work/$other/stats"

if [ $valgrind = 1 ]; then
  errors=0
  for log in "$work"/valgrind/valgrind.*.log; do
    if [ -s "$log" ]; then errors=1; echo "== memcheck: $log"; cat "$log"; fi
  done
  if [ $errors = 1 ]; then
    echo "FAIL: memcheck reported errors (logs above)"
    failed=1
  else
    echo "memcheck: no errors in $(ls "$work"/valgrind/valgrind.*.log | wc -l) processes"
  fi
fi

if [ $measure = 1 ]; then
  echo
  echo "GNU time -f \"%e %M\" per command: elapsed s and peak RSS KiB, stock APR | mpool"
  paste -d' ' "$work/stock/labels" "$work/stock/time" "$work/$other/time" |
    awk '{ printf "  %-16s %7.2f %8d | %7.2f %8d\n", $1" "$2, $3, $4, $5, $6; ts += $3; tm += $5;
           if ($4 > rs) rs = $4; if ($6 > rm) rm = $6 }
         END { printf "  %-16s %7.2f %8d | %7.2f %8d   (total time, largest peak RSS)\n", "session", ts, rs, tm, rm }'
fi
if [ $keep = 1 ]; then echo "work directory kept: $work"; fi
exit $failed
