#!/usr/bin/env bash
# httpd_load.sh - Apache httpd (Debian's apache2-bin, event MPM) serving a
# static tree, with stock APR and with libmpool_apr.so preloaded: every file
# is fetched once and the responses (status, headers but Date, body digest)
# must be identical; then `ab` (apache2-utils) loads one file, and the
# requests per second and the server's peak RSS (the sum of VmHWM over its
# processes) are printed side by side.
#
# usage: httpd_load.sh SHIM [--requests N] [--concurrency C]
# Exit: 0 identical, 1 different, 77 skipped (apache2, ab or curl missing).
set -uo pipefail
shim="" requests=20000 concurrency=8
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    *) shim="$1"; shift ;;
  esac
done
for tool in /usr/sbin/apache2 ab curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found (apt-get install apache2-bin apache2-utils curl)"; exit 77; }
done
shim="$(readlink -f "$shim")"
modules=/usr/lib/apache2/modules
work="$(mktemp -d "${TMPDIR:-/tmp}/mpool-httpd.XXXXXX")"
chmod 755 "$work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
mkdir "$work/docroot"
cp /usr/include/linux/*.h "$work/docroot/"
touch -d "2020-01-01 00:00:00 UTC" "$work/docroot"/*.h # old enough for strong ETags in both runs
port=$((20000 + RANDOM % 20000))
files=$(cd "$work/docroot" && ls | LC_ALL=C sort)

serve() { # MODE: start the server, fetch, load, measure, stop
  local mode="$1" dir="$work/$1"
  mkdir -p "$dir"
  cat >"$dir/httpd.conf" <<EOF
ServerName localhost
ServerRoot $dir
Listen 127.0.0.1:$port
PidFile $dir/httpd.pid
ErrorLog $dir/error.log
LogLevel warn
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule mime_module $modules/mod_mime.so
TypesConfig /etc/mime.types
User nobody
Group nogroup
DocumentRoot $work/docroot
<Directory $work/docroot>
  Require all granted
</Directory>
EOF
  local prefix=()
  if [ "$mode" = shim ]; then prefix=(env "LD_PRELOAD=$shim" MPOOL_APR_STATS=1); fi
  "${prefix[@]}" /usr/sbin/apache2 -f "$dir/httpd.conf" -k start 2>"$dir/start.err"
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
  for f in $files; do
    curl -s -D "$dir/headers" -o "$dir/body" "http://127.0.0.1:$port/$f"
    { grep -v '^Date: ' "$dir/headers"; sha256sum <"$dir/body"; } >>"$dir/responses"
  done
  ab -q -n "$requests" -c "$concurrency" "http://127.0.0.1:$port/fs.h" >"$dir/ab" 2>&1
  local hwm=0 pid
  for pid in $(pgrep -f "apache2 -f $dir/httpd.conf"); do
    hwm=$((hwm + $(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  echo "$hwm" >"$dir/hwm"
  kill "$(cat "$dir/httpd.pid")"
  for _ in $(seq 50); do pgrep -f "apache2 -f $dir/httpd.conf" >/dev/null || break; sleep 0.1; done
}

serve stock
serve shim
failed=0
echo "httpd: $(echo "$files" | wc -l) files fetched, then ab -n $requests -c $concurrency on fs.h"
if cmp -s "$work/stock/responses" "$work/shim/responses"; then
  echo "responses identical (stock APR and shim)"
else
  echo "FAIL: the responses differ:"; diff "$work/stock/responses" "$work/shim/responses" | head -20; failed=1
fi
for mode in stock shim; do
  if grep -q 'Failed requests: *[1-9]\|Non-2xx' "$work/$mode/ab"; then echo "FAIL: $mode: ab saw failures"; failed=1; fi
done
stats=$(cat "$work/shim/start.err" "$work/shim/error.log" | grep -c '^mpool_apr: ')
echo "the shim's stats lines (one per server process that exited): $stats"
[ "$stats" -gt 0 ] || { echo "FAIL: no stats line: the shim was not in use"; failed=1; }
rps() { awk '/^Requests per second/ {print $4}' "$1"; }
echo "requests/s: stock APR $(rps "$work/stock/ab") | mpool $(rps "$work/shim/ab")"
echo "server peak RSS (sum of VmHWM, KiB): stock APR $(cat "$work/stock/hwm") | mpool $(cat "$work/shim/hwm")"
exit $failed
