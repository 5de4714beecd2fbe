#!/usr/bin/env bash
# mpool as its users get it. Builds the library static and shared (tests and
# benchmarks off), installs each with `cmake --install --prefix` into a
# temporary prefix, checks what was installed, and builds and runs each
# consumer project of this directory:
#   c-find-package    a C99-only CMake project: find_package(mpool 0.2)
#   cxx-find-package  a CMake project using mpool.hpp, as C++17 and C++20
#   pkg-config        a plain Makefile: shared, and static (pkg-config --static)
#   add-subdirectory  mpool's source tree as a subproject
#   fetchcontent      FetchContent from a clone of this repository (offline)
# One line per check; the first failure stops the script, with the output of
# the command that failed. About a minute on 2 cores.
#   bash tests/consumers/run.sh
set -euo pipefail

consumers=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$consumers/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mpool-consumers.XXXXXX")
trap 'rm -rf "$work"' EXIT
jobs=2

log=$work/log
: >"$log"
ok() { printf 'ok     %s\n' "$*"; }
fail() {
  printf 'FAIL   %s\n' "$*" >&2
  if [ -s "$log" ]; then
    echo "------ its output (last 40 lines):" >&2
    tail -n 40 "$log" >&2
  fi
  exit 1
}
# quietly WHAT COMMAND...: runs COMMAND with its output in $log; fails WHAT if it fails.
quietly() {
  local what=$1
  shift
  "$@" >"$log" 2>&1 || fail "$what: $*"
}
# run_hello WHAT PROGRAM: runs a consumer's program, which prints a line ending in ": ok".
run_hello() {
  local output
  output=$("$2" 2>&1) || { echo "$output" >"$log"; fail "$1: $2 exited with an error"; }
  [[ $output == *": ok" ]] || { echo "$output" >"$log"; fail "$1: unexpected output"; }
  ok "$1: $output"
}
# links_libmpool_so PROGRAM: whether the program needs libmpool.so.N at run time.
links_libmpool_so() { readelf -d "$1" | grep -q "NEEDED.*\[libmpool\.so\.$major\]"; }

for tool in cmake make cc c++ clang-14 pkg-config nm readelf git; do
  command -v "$tool" >/dev/null || fail "this script needs $tool"
done
strict_c=(-DCMAKE_C_FLAGS="-Wall -Wextra -pedantic -Werror")
strict_cxx=(-DCMAKE_CXX_FLAGS="-Wall -Wextra -pedantic -Werror")

# ---------------------------------------------------------------- the library, static and shared

version=$(awk '/^#define MPOOL_VERSION_(MAJOR|MINOR|PATCH) / { v = v (v == "" ? "" : ".") $3 } END { print v }' \
          "$source_dir/include/mpool/mpool.h")
major=${version%%.*}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "no version in mpool.h (read \"$version\")"

declare -A prefix libdir
libdir[static]=lib/x86_64-linux-gnu # a multiarch libdir, as Debian's: mpool.pc is three levels down
libdir[shared]=lib
for kind in static shared; do
  build=$work/build-$kind
  prefix[$kind]=$work/prefix-$kind
  quietly "configure mpool ($kind)" cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=$([ $kind = shared ] && echo ON || echo OFF) \
    -DMPOOL_BUILD_TESTS=OFF -DMPOOL_BUILD_BENCH=OFF -DMPOOL_BUILD_EXAMPLES=OFF -DMPOOL_BUILD_APR=OFF \
    -DCMAKE_INSTALL_LIBDIR="${libdir[$kind]}"
  quietly "build mpool ($kind)" cmake --build "$build" -j $jobs
  quietly "install mpool ($kind)" cmake --install "$build" --prefix "${prefix[$kind]}"
  for file in include/mpool/mpool.h include/mpool/mpool.hpp include/mpool/export.h include/mpool/detail/cursor.h \
              "${libdir[$kind]}/cmake/mpool/mpoolConfig.cmake" "${libdir[$kind]}/cmake/mpool/mpoolConfigVersion.cmake" \
              "${libdir[$kind]}/pkgconfig/mpool.pc"; do
    [ -f "${prefix[$kind]}/$file" ] || fail "install ($kind): $file missing from the prefix"
  done
  ok "mpool $version built $kind and installed with --prefix (libdir ${libdir[$kind]}): headers, CMake package, mpool.pc"
done

# ---------------------------------------------------------------- the shared library's interface

so_dir=${prefix[shared]}/lib
[ -f "$so_dir/libmpool.so.$version" ] || fail "no libmpool.so.$version in the shared prefix"
soname=$(readelf -d "$so_dir/libmpool.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libmpool.so.$major" ] || fail "libmpool.so's soname is \"$soname\", not libmpool.so.$major"
ok "libmpool.so.$version has soname $soname (the major version)"

nm -D --defined-only "$so_dir/libmpool.so" | awk '{ print $NF }' | sort >"$work/exported"
if grep -v '^mpool_' "$work/exported" >"$log"; then fail "libmpool.so exports symbols not named mpool_*"; fi
# Every function mpool.h declares with MPOOL_API is exported (mpool__alloc_slow included).
grep -o 'MPOOL_API[^(]*(' "$source_dir/include/mpool/mpool.h" | sed 's/.*[ *]\([A-Za-z0-9_]*\)($/\1/' | sort -u \
  >"$work/declared"
if comm -23 "$work/declared" "$work/exported" | grep . >"$log"; then fail "functions of mpool.h not exported"; fi
ok "libmpool.so exports $(wc -l <"$work/exported") symbols, all mpool_* (mpool__* hooks included)," \
   "and every MPOOL_API function of mpool.h"

# ---------------------------------------------------------------- mpool.pc

for kind in static shared; do
  pc_dir=${prefix[$kind]}/${libdir[$kind]}/pkgconfig
  pc_prefix=$(PKG_CONFIG_LIBDIR=$pc_dir pkg-config --variable=prefix mpool)
  [ "$(cd "$pc_prefix" && pwd -P)" = "$(cd "${prefix[$kind]}" && pwd -P)" ] ||
    fail "mpool.pc ($kind): prefix $pc_prefix is not the install prefix ${prefix[$kind]}"
  [ "$(PKG_CONFIG_LIBDIR=$pc_dir pkg-config --modversion mpool)" = "$version" ] || fail "mpool.pc ($kind): version"
done
static_libs=$(PKG_CONFIG_LIBDIR=${prefix[static]}/${libdir[static]}/pkgconfig pkg-config --static --libs mpool)
for flag in -lmpool -lstdc++ -lpthread; do
  [[ " $static_libs " == *" $flag "* ]] || fail "pkg-config --static --libs mpool gives \"$static_libs\": no $flag"
done
ok "mpool.pc's prefix is the one given to cmake --install (lib/ and multiarch libdir); --static links:" \
   "$(echo $static_libs | sed 's/-L[^ ]* //')"

# A prefix moved elsewhere still works: pkg-config finds it from mpool.pc's place.
moved=$work/moved/prefix-static
mkdir -p "$work/moved"
mv "${prefix[static]}" "$moved"
prefix[static]=$moved
pc_prefix=$(PKG_CONFIG_LIBDIR=$moved/${libdir[static]}/pkgconfig pkg-config --variable=prefix mpool)
[ "$(cd "$pc_prefix" && pwd -P)" = "$(cd "$moved" && pwd -P)" ] || fail "mpool.pc after a move: prefix $pc_prefix"
ok "mpool.pc follows its prefix when the installed tree is moved (the consumers below use the moved one)"

# ---------------------------------------------------------------- CMake: find_package, C and C++

# c_project KIND CC: the C99 project against one install.
c_project() {
  local kind=$1 cc=$2 build=$work/c-$1-$2
  quietly "C project ($kind, $cc): configure" env CC="$cc" cmake -S "$consumers/c-find-package" -B "$build" \
    -DCMAKE_PREFIX_PATH="${prefix[$kind]}" "${strict_c[@]}"
  grep -q "^mpool_DIR:PATH=${prefix[$kind]}/" "$build/CMakeCache.txt" || fail "C project ($kind): found another mpool"
  quietly "C project ($kind, $cc): build" cmake --build "$build" -j $jobs
  if [ "$kind" = shared ]; then links_libmpool_so "$build/hello" || fail "C project (shared) does not use libmpool.so"
  else ! links_libmpool_so "$build/hello" || fail "C project (static) uses libmpool.so"; fi
  run_hello "C99 project (LANGUAGES C), find_package(mpool 0.2), $kind, $cc" "$build/hello"
}
c_project static cc
c_project static clang-14
c_project shared cc

if cmake -S "$consumers/c-find-package" -B "$work/c-too-new" -DCMAKE_PREFIX_PATH="${prefix[static]}" \
     -DMPOOL_WANTED_VERSION=1.0 >"$log" 2>&1; then
  fail "find_package(mpool 1.0) accepted mpool $version"
fi
tr -s '\n ' '  ' <"$log" | grep -q "compatible with requested version \"1.0\".*mpoolConfig.cmake, version: $version" ||
  fail "find_package(mpool 1.0) failed for another reason"
ok "find_package(mpool 1.0) fails against $version (same major version wanted)"

for kind in static shared; do
  for standard in 20 17; do
    build=$work/cxx-$kind-$standard
    quietly "C++$standard project ($kind): configure" cmake -S "$consumers/cxx-find-package" -B "$build" \
      -DCMAKE_PREFIX_PATH="${prefix[$kind]}" -DCMAKE_CXX_STANDARD=$standard "${strict_cxx[@]}"
    quietly "C++$standard project ($kind): build" cmake --build "$build" -j $jobs
    run_hello "C++$standard project, find_package(mpool 0.2), mpool.hpp, $kind" "$build/hello_cxx"
  done
done

# ---------------------------------------------------------------- pkg-config and a Makefile

build=$work/pkg-config-shared
mkdir -p "$build"
quietly "Makefile (shared): build" env PKG_CONFIG_LIBDIR="${prefix[shared]}/lib/pkgconfig" \
  make -C "$build" -f "$consumers/pkg-config/Makefile" hello
links_libmpool_so "$build/hello" || fail "Makefile (shared): the program does not use libmpool.so"
LD_LIBRARY_PATH=${prefix[shared]}/lib run_hello "C99 Makefile with pkg-config, shared" "$build/hello"

build=$work/pkg-config-static
mkdir -p "$build"
quietly "Makefile (static): build" env PKG_CONFIG_LIBDIR="${prefix[static]}/${libdir[static]}/pkgconfig" \
  make -C "$build" -f "$consumers/pkg-config/Makefile" hello_static
! links_libmpool_so "$build/hello_static" || fail "Makefile (static): the program uses libmpool.so"
run_hello "C99 Makefile with pkg-config --static, static" "$build/hello_static"

# ---------------------------------------------------------------- from source: add_subdirectory, FetchContent

build=$work/add-subdirectory
quietly "add_subdirectory: configure" cmake -S "$consumers/add-subdirectory" -B "$build" \
  -DMPOOL_SOURCE_DIR="$source_dir" "${strict_c[@]}"
quietly "add_subdirectory: build" cmake --build "$build" -j $jobs
run_hello "add_subdirectory(mpool) from a C project" "$build/hello"
quietly "add_subdirectory: list targets" cmake --build "$build" --target help
if grep -E 'mpool_(tests|c_api_test|compare|micro|alloc_loop|stress|fuzz|bugs|example|apr)' "$log" >"$work/extra"; then
  cp "$work/extra" "$log"
  fail "add_subdirectory: mpool defines its tests, benchmarks or examples as a subproject"
fi
quietly "add_subdirectory: install" cmake --install "$build" --prefix "$work/add-subdirectory-prefix"
installed=$(cd "$work/add-subdirectory-prefix" && find . -type f | sort | tr '\n' ' ')
[ "$installed" = "./bin/hello " ] || fail "add_subdirectory: installed $installed (the program alone wanted)"
ok "add_subdirectory: mpool builds only its library (no tests, benchmarks, examples, APR drop-in, fuzz target)" \
   "and installs nothing"
quietly "add_subdirectory: MPOOL_INSTALL=ON" cmake "$build" -DMPOOL_INSTALL=ON
quietly "add_subdirectory: install with MPOOL_INSTALL=ON" cmake --install "$build" --prefix "$work/add-subdirectory-all"
for file in include/mpool/mpool.h lib/libmpool.a lib/cmake/mpool/mpoolConfig.cmake lib/pkgconfig/mpool.pc; do
  [ -f "$work/add-subdirectory-all/$file" ] || fail "add_subdirectory with MPOOL_INSTALL=ON: $file not installed"
done
ok "add_subdirectory with MPOOL_INSTALL=ON installs mpool as well"

git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1 || fail "FetchContent: $source_dir is not a git checkout"
commit=$(git -C "$source_dir" rev-parse HEAD)
build=$work/fetchcontent
quietly "FetchContent: configure" cmake -S "$consumers/fetchcontent" -B "$build" \
  -DMPOOL_GIT_REPOSITORY="$source_dir" -DMPOOL_GIT_TAG="$commit" "${strict_c[@]}" "${strict_cxx[@]}"
quietly "FetchContent: build" cmake --build "$build" -j $jobs
note=""
git -C "$source_dir" diff --quiet HEAD -- || note=" (the tree's uncommitted changes are not in it)"
run_hello "FetchContent of commit ${commit:0:10}$note, C" "$build/hello"
# The C++ program sets no standard: it gets mpool's C++17 at least.
run_hello "FetchContent of commit ${commit:0:10}$note, C++ (no standard of its own)" "$build/hello_cxx"

echo "all consumer checks passed"
