#!/usr/bin/env bash
# httpd.sh - Apache httpd (Debian's apache2-bin) with stock APR and with
# libmpool_apr.so preloaded, on 127.0.0.1 only, under `ab` (apache2-utils).
#
# For each MPM (event, then worker) two servers run side by side from
# configurations of ours, one with stock APR, one with the shim: User
# nobody, 2 child processes of 64 threads (a fixed number of processes, so
# that their memory compares; 64 threads each, so that one child can hold
# every connection of a load: past its limit, the event MPM answers with
# "Connection: close" on a keep-alive connection, which ab counts as a
# failed request). Both serve the same document tree:
#   static   /static.h, a 12 KB file
#   ssi      /page.shtml, a mod_include page: 8 virtual includes (sub-
#            requests), variables, conditions, file sizes and dates
#   listing  /list/, a mod_autoindex listing (fancy, as a table) of 200 files
# Every response (status, headers but Date, digest of the body) is fetched
# with curl before and after the load, the pages and each file of /list/:
# they must be identical between the two servers, and unchanged by the
# load. Then every load runs against both servers back to back (which goes
# first alternates): each page, without and with keep-alive (ab -k), at
# concurrency 16 and 64. A load is a bounded number of requests with a time
# limit; it must complete with no failed request (ab also counts bodies
# whose length differs from the first one's) and the same document length
# on both servers; with keep-alive, most responses must have kept the
# connection open. (ab speaks HTTP/1.0, so a response without a length ends
# its connection: mod_buffer holds the whole SSI page and listing so that
# httpd sends their length.) While ab runs, the sum of VmRSS over the server's
# processes is sampled every 0.1 s.
#
# Printed per load: requests/s and the largest sampled RSS for each server
# and as the ratio shim/stock; per MPM: the servers' RSS after the loads
# (settled for 2 s) and their peak (the sum of VmHWM); at the end, the
# geometric mean of the requests/s ratios.
#
# usage: httpd.sh SHIM [--quick] [--keep]
#   --quick  a tenth of the requests (a check that the harness works)
#   --keep   keep the work directory (configurations, logs, ab's output)
# Exit: 0 identical, 1 a difference or a failed check, 77 skipped.
set -uo pipefail
# shellcheck source=bench/real/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shim="" quick=0 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --keep) keep=1; shift ;;
    *) shim="$1"; shift ;;
  esac
done
real_need /usr/sbin/apache2 ab curl timeout
shim="$(readlink -f "$shim")"
[ -f "$shim" ] || { echo "FAIL: no shim at '$shim'"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: httpd.sh runs the server as root with User nobody"; exit 77; }

modules=/usr/lib/apache2/modules
pages=(static ssi listing)
declare -A url=([static]=/static.h [ssi]=/page.shtml [listing]=/list/)
# Requests per load: 2 to 8 s each on this project's 2-core machine.
declare -A requests=([static]=40000 [ssi]=12000 [listing]=6000)
if [ $quick = 1 ]; then for page in "${pages[@]}"; do requests[$page]=$((requests[$page] / 10)); done; fi
load_seconds=120 # the time limit of one load

work="$(mktemp -d "${TMPDIR:-/tmp}/mpool-httpd.XXXXXX")"
chmod 755 "$work"
servers=()
cleanup() {
  local pid
  for pid in "${servers[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  if [ $keep = 0 ]; then rm -rf "$work"; else echo "work directory kept: $work"; fi
}
trap cleanup EXIT
export LC_ALL=C TZ=UTC
umask 022

# The document tree, the same for every server; dates fixed, so that
# listings, strong ETags and SSI dates are the same in every run.
make_docroot() {
  local docroot="$work/docroot" f i
  mkdir -p "$docroot/list"
  cp /usr/include/linux/fs.h "$docroot/static.h"
  ls /usr/include/linux/*.h | LC_ALL=C sort | head -200 | xargs cp -t "$docroot/list"
  local included=()
  mapfile -t included < <(cd "$docroot/list" && ls -S | tail -8 | LC_ALL=C sort) # the 8 smallest
  {
    echo '<!--#config timefmt="%Y-%m-%d %H:%M:%S" sizefmt="bytes" -->'
    echo '<html><head><title><!--#echo var="DOCUMENT_URI" --></title></head><body>'
    echo '<!--#set var="section" value="headers" -->'
    i=0
    for f in "${included[@]}"; do
      i=$((i + 1))
      echo "<h2>$i. $f (<!--#fsize virtual=\"/list/$f\" -->, <!--#flastmod virtual=\"/list/$f\" -->)</h2>"
      echo "<!--#if expr=\"v('section') == 'headers'\" -->in section <!--#echo var=\"section\" --><!--#else -->lost<!--#endif -->"
      echo "<pre><!--#include virtual=\"/list/$f\" --></pre>"
    done
    echo '</body></html>'
  } >"$docroot/page.shtml"
  find "$docroot" -exec touch -d "2020-01-01 00:00:00 UTC" {} +
  chmod -R a+rX "$docroot"
}

# write_config MODE MPM PORT: the server's configuration, in $work/MPM-MODE.
write_config() {
  local dir="$work/$2-$1"
  mkdir -p "$dir"
  cat >"$dir/httpd.conf" <<EOF
ServerName localhost
ServerRoot $dir
Listen 127.0.0.1:$3
PidFile $dir/httpd.pid
ErrorLog $dir/error.log
LogLevel warn
LoadModule mpm_$2_module $modules/mod_mpm_$2.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule mime_module $modules/mod_mime.so
LoadModule dir_module $modules/mod_dir.so
LoadModule autoindex_module $modules/mod_autoindex.so
LoadModule include_module $modules/mod_include.so
LoadModule buffer_module $modules/mod_buffer.so
TypesConfig /etc/mime.types
User nobody
Group nogroup
StartServers 2
ServerLimit 2
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 1
MaxSpareThreads 128
MaxConnectionsPerChild 0
KeepAlive On
DocumentRoot $work/docroot
<Directory $work/docroot>
  Require all granted
  Options +Includes +Indexes
  AddType text/html .shtml
  AddOutputFilter INCLUDES;BUFFER .shtml
  IndexOptions FancyIndexing HTMLTable
</Directory>
<LocationMatch "^/list/\$">
  SetOutputFilter BUFFER
</LocationMatch>
EOF
}

# start MODE MPM PORT: starts the server (in the foreground of a background
# job, so that its parent is ours to wait for) and waits until it answers
# and its 2 children are up; the parent's pid into pid[MODE].
declare -A pid port
start() {
  local mode="$1" dir="$work/$2-$1" prefix=()
  write_config "$@"
  real_prefix "$mode"
  "${prefix[@]}" /usr/sbin/apache2 -f "$dir/httpd.conf" -D FOREGROUND 2>"$dir/start.err" &
  pid[$mode]=$! port[$mode]=$3
  servers+=("${pid[$mode]}")
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$3/static.h" &&
       [ "$(wc -w <"/proc/${pid[$mode]}/task/${pid[$mode]}/children")" -ge 2 ]; then return 0; fi
    sleep 0.1
  done
  echo "FAIL: the $2 server ($mode) did not start:"; cat "$dir/start.err" "$dir/error.log" 2>/dev/null | head -20
  exit 1
}

# stop MODE MPM: stops the server (SIGTERM; SIGKILL after 10 s).
stop() {
  local p="${pid[$1]}"
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
}

# fetch MODE OUT: every response of the tree, as the list of status line,
# headers but Date, and the digest of the body.
fetch() {
  local target dir="$work/fetch"
  mkdir -p "$dir"
  : >"$2"
  for target in "${url[@]}" $(cd "$work/docroot/list" && ls | LC_ALL=C sort | sed 's|^|/list/|'); do
    curl -s -D "$dir/headers" -o "$dir/body" "http://127.0.0.1:${port[$1]}$target"
    { echo "== $target"; tr -d '\r' <"$dir/headers" | grep -v '^Date: '; sha256sum <"$dir/body"; } >>"$2"
  done
}

# load MODE MPM PAGE KEEPALIVE CONCURRENCY: one ab run; prints
# "requests/s peak-RSS-KiB" and keeps ab's output.
load() {
  local mode="$1" page="$3" ka="$4" c="$5" p="${pid[$1]}"
  local out="$work/$2-$1/ab.$page.$ka.$c" flags=() rss=0 now abpid
  if [ "$ka" = ka ]; then flags=(-k); fi
  timeout --kill-after=5 "$load_seconds" ab -q -s 30 "${flags[@]}" -n "${requests[$page]}" -c "$c" \
    "http://127.0.0.1:${port[$mode]}${url[$page]}" >"$out" 2>&1 &
  abpid=$!
  while kill -0 "$abpid" 2>/dev/null; do
    now=$(real_tree_kib VmRSS "$p")
    if [ "$now" -gt "$rss" ]; then rss=$now; fi
    sleep 0.1
  done
  wait "$abpid"
  echo "$? $(awk '/^Requests per second/ {print $4}' "$out") $rss"
}

# check_load OUT STATUS: 0 if ab finished all its requests without failure
# (and, for a keep-alive load, mostly on kept connections); of the load of
# `page` and `ka`.
check_load() {
  local out="$1" status="$2" n
  n=$(awk '/^Complete requests/ {print $3}' "$out")
  if [ "$status" != 0 ]; then echo "FAIL: ab exited with $status (124: over the time limit): $out"; tail -3 "$out"; return 1; fi
  if [ "$n" != "${requests[$page]}" ] || ! grep -q '^Failed requests: *0$' "$out" || grep -q '^Non-2xx' "$out"; then
    echo "FAIL: failed requests in $out:"; grep -E '^(Complete|Failed|Non-2xx|   \()' "$out"; return 1
  fi
  if [ "$ka" = ka ] && [ "$(awk '/^Keep-Alive requests/ {print $3}' "$out")" -lt $((n / 2)) ]; then
    echo "FAIL: keep-alive was not in use: $out"; grep '^Keep-Alive requests' "$out"; return 1
  fi
}

failed=0
make_docroot
printf '%-7s %-8s %-5s %3s | %9s %9s %6s | %10s %10s %6s\n' mpm page alive c \
  "stock r/s" "shim r/s" ratio "stock KiB" "shim KiB" ratio
for mpm in event worker; do
  start stock "$mpm" "$(real_free_port)"
  start shim "$mpm" "$(real_free_port)"
  for mode in stock shim; do fetch "$mode" "$work/$mpm-$mode/before"; done
  if ! cmp -s "$work/$mpm-stock/before" "$work/$mpm-shim/before"; then
    echo "FAIL: $mpm: the responses differ (stock < > shim):"; diff "$work/$mpm-stock/before" "$work/$mpm-shim/before" | head -20
    failed=1
  fi
  declare -A peak=([stock]=0 [shim]=0)
  cell=0
  for page in "${pages[@]}"; do
    for ka in no ka; do
      for c in 16 64; do
        order=(stock shim)
        if [ $((cell % 2)) = 1 ]; then order=(shim stock); fi
        cell=$((cell + 1))
        declare -A rps rss length
        for mode in "${order[@]}"; do
          read -r status rps[$mode] rss[$mode] < <(load "$mode" "$mpm" "$page" "$ka" "$c")
          check_load "$work/$mpm-$mode/ab.$page.$ka.$c" "$status" || failed=1
          length[$mode]=$(awk '/^Document Length/ {print $3}' "$work/$mpm-$mode/ab.$page.$ka.$c")
          if [ "${rss[$mode]}" -gt "${peak[$mode]}" ]; then peak[$mode]=${rss[$mode]}; fi
        done
        if [ "${length[stock]}" != "${length[shim]}" ]; then
          echo "FAIL: $mpm $page: document length ${length[stock]} with stock APR, ${length[shim]} with the shim"; failed=1
        fi
        printf '%-7s %-8s %-5s %3s | %9.0f %9.0f %6s | %10d %10d %6s\n' "$mpm" "$page" "$ka" "$c" \
          "${rps[stock]:-0}" "${rps[shim]:-0}" "$(real_ratio "${rps[stock]:-0}" "${rps[shim]:-0}")" \
          "${rss[stock]}" "${rss[shim]}" "$(real_ratio "${rss[stock]}" "${rss[shim]}")"
        real_ratio "${rps[stock]:-0}" "${rps[shim]:-0}" >>"$work/rps_ratios"
      done
    done
  done
  sleep 2
  declare -A after hwm
  for mode in stock shim; do
    after[$mode]=$(real_tree_kib VmRSS "${pid[$mode]}")
    hwm[$mode]=$(real_tree_kib VmHWM "${pid[$mode]}")
    fetch "$mode" "$work/$mpm-$mode/after"
    if ! cmp -s "$work/$mpm-$mode/before" "$work/$mpm-$mode/after"; then
      echo "FAIL: $mpm $mode: the responses changed under the load:"; diff "$work/$mpm-$mode/before" "$work/$mpm-$mode/after" | head -20
      failed=1
    fi
  done
  printf '%-7s %-20s | %9s %9s %6s | %10d %10d %6s\n' "$mpm" "RSS during the loads" "" "" "" \
    "${peak[stock]}" "${peak[shim]}" "$(real_ratio "${peak[stock]}" "${peak[shim]}")"
  printf '%-7s %-20s | %9s %9s %6s | %10d %10d %6s\n' "$mpm" "RSS after the loads" "" "" "" \
    "${after[stock]}" "${after[shim]}" "$(real_ratio "${after[stock]}" "${after[shim]}")"
  printf '%-7s %-20s | %9s %9s %6s | %10d %10d %6s\n' "$mpm" "peak RSS (VmHWM)" "" "" "" \
    "${hwm[stock]}" "${hwm[shim]}" "$(real_ratio "${hwm[stock]}" "${hwm[shim]}")"
  stop stock "$mpm"
  stop shim "$mpm"
  # The shim prints its stats line in the server's parent only (at exit,
  # into the error log, which httpd puts in place of stderr).
  for mode in stock shim; do
    lines=$(cat "$work/$mpm-$mode/start.err" "$work/$mpm-$mode/error.log" | grep -c '^mpool_apr: ')
    want=0
    if [ $mode = shim ]; then want=1; fi
    if [ "$lines" != $want ]; then echo "FAIL: $mpm $mode: $lines stats lines, not $want"; failed=1; fi
    if grep -q ':\(error\|crit\|alert\|emerg\)\]' "$work/$mpm-$mode/error.log"; then
      echo "note: $mpm $mode: errors in the server's log:"; grep ':\(error\|crit\|alert\|emerg\)\]' "$work/$mpm-$mode/error.log" | sort | uniq -c | head -5
    fi
  done
  grep -h '^mpool_apr: ' "$work/$mpm-shim/start.err" "$work/$mpm-shim/error.log" | sed "s/^/$mpm shim server's parent: /"
done
if [ $failed = 0 ]; then
  echo "responses identical (stock APR and shim, $(grep -c '^== ' "$work/event-stock/before") per server, before and after the loads)"
fi
echo "requests/s shim/stock, geometric mean over $(wc -l <"$work/rps_ratios") loads: $(real_geomean <"$work/rps_ratios")"
exit $failed
