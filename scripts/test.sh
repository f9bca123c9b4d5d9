#!/usr/bin/env bash
# The project's test command (the README's second command; CI runs exactly this).
# Installs what is missing, then: format check, an optimized build with warnings as errors and
# its tests, the package test (install, find_package, pkg-config, FetchContent), clang-tidy, an
# AddressSanitizer+UBSan build (g++) running every suite, and a ThreadSanitizer build (clang)
# running them again.
#   scripts/test.sh            everything above
#   scripts/test.sh --quick    the optimized build and its tests only
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1

bash scripts/install-deps.sh
jobs=${SLUICE_JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Paths relative to the checkout, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
# Labels CI runs; perf and long soak runs are separate commands (perf/run, soak/).
labels='unit|integration|concurrency|chaos'
started=$(date +%s)
stage() { printf '\n=== %s (%ds)\n' "$*" "$(( $(date +%s) - started ))"; }

build() {  # preset, then optional target list
  local preset=$1; shift
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs" ${@:+--target "$@"}
}

if [ "$quick" -eq 0 ]; then
  stage "format check (clang-format)"
  git ls-files '*.hpp' '*.cpp' | xargs clang-format --dry-run --Werror
fi

stage "build: optimized, warnings as errors (g++)"
build ci
stage "tests: optimized build"
SLUICE_CHAOS_KILLS=1000 ctest --preset ci -L "$labels|soak" -j "$jobs"  # the 3-minute soak only here

[ "$quick" -eq 1 ] && { stage "done (quick)"; exit 0; }

stage "package: install, find_package, pkg-config and FetchContent (samples/consumer)"
bash test/package/consumer_test.sh build/ci

stage "clang-tidy: lib/, coro/ and adapters/"
if ! git ls-files 'lib/*.cpp' 'coro/*.cpp' 'adapters/*.cpp' | xargs -P "$jobs" -n 2 clang-tidy -p build/ci --quiet >build/clang-tidy.log 2>&1; then
  grep -v -E '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter' build/clang-tidy.log
  echo "clang-tidy found problems (full log: build/clang-tidy.log)" >&2
  exit 1
fi

stage "build: AddressSanitizer + UBSan (g++)"
build asan
stage "tests: AddressSanitizer + UBSan, every suite"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 SLUICE_CHAOS_KILLS=150 \
  ctest --preset asan -L "$labels" -j "$jobs"

stage "build: ThreadSanitizer (clang)"
build tsan sluice_lib_tests sluice_coro_tests sluice_adapters_tests sluice_chaos_tests sluice_chaos_child sluice_hello \
  sluice_orderflow sluice  # samples and the CLI: clang -Werror too; the CLI and browser suites run them
stage "tests: ThreadSanitizer, every suite (the concurrency ones are the point)"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/test/tsan.supp" SLUICE_CHAOS_KILLS=100 \
  ctest --preset tsan -L "$labels" -j "$jobs"

stage "build: libFuzzer targets (clang)"
build fuzz sluice_journal_fuzz sluice_record_fuzz
stage "fuzz: replay the committed corpus, then fuzz each target for 20 s"
for target in journal record; do
  build/fuzz/chaos/fuzz/sluice_${target}_fuzz -runs=0 chaos/fuzz/corpus/$target 2>&1 | tail -1
  # A scratch copy: new inputs found here are not written into the repository.
  scratch=$(mktemp -d)
  cp chaos/fuzz/corpus/$target/* "$scratch"/
  build/fuzz/chaos/fuzz/sluice_${target}_fuzz -max_total_time=20 -print_final_stats=1 "$scratch" 2>&1 |
    grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units' || { rm -rf "$scratch"; exit 1; }
  rm -rf "$scratch"
done

stage "all checks passed"
