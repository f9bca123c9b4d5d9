#!/usr/bin/env bash
# sluice as a package, the way an adopting team meets it (issue 14, docs/api.md "Using sluice from
# CMake"): installs the CI build (static libraries) and a shared build into one temporary prefix,
# then builds samples/consumer out of the tree against it with find_package (static, shared, and
# the default choice), with pkg-config, and through FetchContent from this checkout, and runs
# each. A FetchContent build must not build sluice's tests, samples, benchmarks or CLI.
#   test/package/consumer_test.sh [build dir of the tree, default build/ci]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
tree_build=$(cd "${1:-$src/build/ci}" && pwd)
jobs=${SLUICE_JOBS:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fail() { echo "package test: $*" >&2; exit 1; }
step() { printf 'package test: %s\n' "$*"; }

step "install the tree's build (static) into $prefix"
cmake --install "$tree_build" --prefix "$prefix" >/dev/null
[ -f "$prefix/lib/libsluice_core.a" ] && [ -f "$prefix/lib/libsluice_coro.a" ] && [ -f "$prefix/lib/libsluice_adapters.a" ] ||
  fail "static libraries missing from the install"
[ -x "$prefix/bin/sluice" ] || fail "the sluice CLI is not installed"
[ -f "$prefix/include/sluice/sluice.hpp" ] && [ -f "$prefix/include/sluice/version.hpp" ] || fail "headers missing"
[ ! -e "$prefix/include/sluice/cli" ] || fail "the CLI's own headers are installed"

step "build and install a shared build into the same prefix"
cmake -S "$src" -B "$work/shared" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON "${launcher[@]}" \
  -DSLUICE_BUILD_TESTS=OFF -DSLUICE_BUILD_SAMPLES=OFF -DSLUICE_BUILD_PERF=OFF -DSLUICE_BUILD_CLI=OFF >/dev/null
cmake --build "$work/shared" -j "$jobs" >/dev/null
cmake --install "$work/shared" --prefix "$prefix" >/dev/null
ls "$prefix"/lib/libsluice_coro.so.0.1* >/dev/null 2>&1 || fail "shared libraries (soname 0.1) missing"

consumer() {  # name, extra cmake arguments...
  local name=$1; shift
  cmake -S "$src/samples/consumer" -B "$work/consumer-$name" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@" >/dev/null
  cmake --build "$work/consumer-$name" -j "$jobs" >/dev/null
  "$work/consumer-$name/consumer" "$work/$name-data" || fail "the $name consumer failed"
}
links_shared() { ldd "$1" | grep -q 'libsluice_coro\.so'; }

step "find_package, static"
consumer static -DCMAKE_PREFIX_PATH="$prefix" -Dsluice_SHARED_LIBS=OFF
links_shared "$work/consumer-static/consumer" && fail "the static consumer links libsluice_coro.so"
step "find_package, shared"
consumer shared -DCMAKE_PREFIX_PATH="$prefix" -Dsluice_SHARED_LIBS=ON
links_shared "$work/consumer-shared/consumer" || fail "the shared consumer does not link libsluice_coro.so"
step "find_package, default (static when installed)"
consumer default -DCMAKE_PREFIX_PATH="$prefix"
links_shared "$work/consumer-default/consumer" && fail "the default consumer took the shared libraries"
step "find_package refuses another minor version"
mkdir -p "$work/wrong" && printf 'cmake_minimum_required(VERSION 3.25)\nproject(w LANGUAGES CXX)\nfind_package(sluice 0.2 REQUIRED)\n' >"$work/wrong/CMakeLists.txt"
if cmake -S "$work/wrong" -B "$work/wrong/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
  fail "find_package(sluice 0.2) accepted 0.1"
fi

step "pkg-config (the prefix moved: the .pc file is relative to itself)"
mv "$prefix" "$work/moved" && prefix=$work/moved
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[ "$(pkg-config --modversion sluice)" = "$(sed -n 's/^project(sluice VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")" ] ||
  fail "pkg-config reports another version"
# shellcheck disable=SC2046
g++ -O1 -o "$work/pkg-config-consumer" "$src/samples/consumer/main.cpp" $(pkg-config --cflags --libs sluice)
LD_LIBRARY_PATH=$prefix/lib "$work/pkg-config-consumer" "$work/pkg-config-data" || fail "the pkg-config consumer failed"

step "FetchContent from this checkout"
cmake -S "$src/samples/consumer" -B "$work/fetch" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
  -DSLUICE_GIT_REPOSITORY="file://$src" -DFETCHCONTENT_SOURCE_DIR_SLUICE="$src" >/dev/null
targets=$(cmake --build "$work/fetch" --target help)
for own in sluice_lib_tests sluice_coro_tests sluice_hello sluice_orderflow sluice_workload_bench 'sluice:' sluice_header_check; do
  if grep -q "^$own" <<<"$targets"; then fail "a FetchContent build has sluice's target $own"; fi
done
cmake --build "$work/fetch" -j "$jobs" >/dev/null
"$work/fetch/consumer" "$work/fetch-data" || fail "the FetchContent consumer failed"
step "passed"
