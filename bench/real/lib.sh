# shellcheck shell=bash
# lib.sh - what the scripts that run real programs with stock APR and with
# libmpool_apr.so preloaded share (sourced by bench/real/*.sh and
# apr/tests/svn_session.sh): the tools check, the command prefix of a mode,
# one command of a session into its transcript (with the shim's stats-line
# check and GNU time), the normalisation of what differs from run to run,
# the memory of a process tree, and ratios.
#
# Modes: `stock` runs the program as it is (Debian's libapr); `shim` with
# LD_PRELOAD=$shim and MPOOL_APR_STATS=1; `valgrind` as shim, under
# Valgrind memcheck. The caller sets `shim` (the library's absolute path)
# and `work` (its work directory).

# real_need TOOL...: exit 77 (skipped) naming the first tool not installed.
real_need() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null; then
      echo "SKIP: $tool not found (apt-get install apache2-bin apache2-utils subversion curl time)"
      exit 77
    fi
  done
}

# real_prefix MODE [STEP]: the command prefix of MODE, into the array
# `prefix` (STEP names the Valgrind log).
real_prefix() {
  case "$1" in
    stock) prefix=() ;;
    shim) prefix=(env "LD_PRELOAD=$shim" MPOOL_APR_STATS=1) ;;
    valgrind) prefix=(env "LD_PRELOAD=$shim" MPOOL_APR_STATS=1 valgrind -q --error-exitcode=99
                      --log-file="$work/valgrind/valgrind.${2:-0}.%p.log" --suppressions=/dev/null) ;;
    *) echo "real_prefix: no mode '$1'" >&2; exit 2 ;;
  esac
}

# The stats line that MPOOL_APR_STATS=1 makes the shim print at exit.
real_stats_line='^mpool_apr: [0-9]* pools created, [0-9]* bytes peak reserved$'

# run MODE STDIN COMMAND...: one command of a session, run in $work/MODE,
# appended to $work/MODE/transcript: the command, its stdout (or, with
# `stdout_to` set, the size of the file its stdout went to), its stderr and
# its exit code. Outside stock mode, the command must print the shim's
# stats line exactly once (else `failed=1`); the line goes to
# $work/MODE/stats, not to the transcript. With `measure=1`, GNU time
# appends "elapsed-seconds peak-RSS-KiB" to $work/MODE/time and the
# command's name (program and subcommand) to $work/MODE/labels. Counts the
# commands in `step`.
stdout_to=""
# shellcheck disable=SC2034 # failed is the caller's
run() {
  local mode="$1" input="$2"; shift 2
  local dir="$work/$mode" out="${stdout_to:-$work/$mode/out}" prefix=()
  step=$((step + 1))
  real_prefix "$mode" "$step"
  if [ "${measure:-0}" = 1 ]; then prefix=(/usr/bin/time -f "%e %M" -a -o "$dir/time" "${prefix[@]}"); fi
  real_label "$@" >>"$dir/labels"
  (cd "$dir" && "${prefix[@]}" "$@" <"$input" >"$out" 2>"$dir/err")
  local status=$?
  if [ "$mode" != stock ]; then
    local stats
    stats=$(grep -c "$real_stats_line" "$dir/err")
    if [ "$stats" != 1 ]; then echo "FAIL: '$*' printed $stats stats lines with the shim, not 1"; failed=1; fi
    grep '^mpool_apr: ' "$dir/err" | sed "s|^|$step $(real_label "$@"): |" >>"$dir/stats"
    grep -v '^mpool_apr: ' "$dir/err" >"$dir/err.kept"; mv "$dir/err.kept" "$dir/err"
  fi
  {
    echo "\$ $*"
    if [ -n "$stdout_to" ]; then echo "(stdout to $(basename "$stdout_to"): $(wc -c <"$out") bytes)"; else cat "$out"; fi
    cat "$dir/err"
    echo "[exit $status]"
  } >>"$dir/transcript"
}

# real_label COMMAND...: the program and its first operand ("svn checkout").
real_label() {
  local label="$1" arg skip=0
  shift
  for arg in "$@"; do
    if [ $skip = 1 ]; then skip=0; continue; fi
    case "$arg" in --config-dir|--listen-host|--listen-port|-r) skip=1 ;; -*) ;; *) label="$label $arg"; break ;; esac
  done
  echo "${label##*/}"
}

# normalize DIR <in >out: replaces what differs from run to run: the mode's
# directory DIR, the work directory, UUIDs, dates.
normalize() {
  sed -E -e "s|$1|WORK|g" -e "s|$work|TOP|g" \
    -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g' \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4} \([A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4}\)/DATE/g' \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z/DATE/g'
}

# real_compare_transcripts A B: 0 when the normalised transcripts of modes
# A and B are identical; else prints the first differences.
real_compare_transcripts() {
  normalize "$work/$1" <"$work/$1/transcript" >"$work/$1.transcript"
  normalize "$work/$2" <"$work/$2/transcript" >"$work/$2.transcript"
  if cmp -s "$work/$1.transcript" "$work/$2.transcript"; then return 0; fi
  echo "FAIL: the transcripts differ ($1 < > $2):"
  diff "$work/$1.transcript" "$work/$2.transcript" | head -40
  return 1
}

# real_tree_kib FIELD PID: the sum of FIELD (VmRSS, VmHWM) in KiB over the
# process PID and its children (bash builtins only: it is sampled while a
# load runs).
real_tree_kib() {
  local field="$1" pid="$2" children=() total=0 child key value rest
  read -r -a children <"/proc/$pid/task/$pid/children" 2>/dev/null
  for child in "$pid" "${children[@]}"; do
    while read -r key value rest; do
      if [ "$key" = "$field:" ]; then total=$((total + value)); break; fi
    done <"/proc/$child/status" 2>/dev/null
  done
  echo "$total"
}

# real_ratio A B: B / A to 2 decimals ("-" when A is 0).
real_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == 0) print "-"; else printf "%.2f\n", b / a }'; }

# real_geomean <ratios: the geometric mean of one number a line.
real_geomean() { awk '$1 > 0 { s += log($1); n++ } END { if (n) printf "%.3f\n", exp(s / n); else print "-" }'; }

# real_free_port: a TCP port of 127.0.0.1 nobody listens on.
real_free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    if ! grep -qi ":$(printf '%04X' "$port") " /proc/net/tcp; then echo "$port"; return; fi
  done
}

# real_wait_listen PORT [SECONDS]: waits until something listens on PORT of
# 127.0.0.1 (without connecting to it); 1 if nothing did in time.
real_wait_listen() {
  local hex
  hex=$(printf '0100007F:%04X' "$1")
  for _ in $(seq $((${2:-10} * 10))); do
    if grep -q "^ *[0-9]*: $hex 00000000:0000 0A" /proc/net/tcp; then return 0; fi
    sleep 0.1
  done
  return 1
}
