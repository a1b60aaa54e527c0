#!/bin/sh
# The test suite under the address and thread sanitizers, then a longer fuzz run.
#
#   scripts/sanitize.sh                  all three steps on the whole package
#   scripts/sanitize.sh address [FILTER] swift test --sanitize=address (optionally --filter FILTER)
#   scripts/sanitize.sh thread [FILTER]  swift test --sanitize=thread
#   scripts/sanitize.sh fuzz             every seeded fuzzer for STRATA_FUZZ_SECONDS (default 60) per
#                                        target, under the address sanitizer; STRATA_FUZZ_SEED picks a seed
#
# Each sanitizer builds in a scratch directory of its own (.build-sanitize-address,
# .build-sanitize-thread; STRATA_SANITIZE_SCRATCH changes the prefix), so the normal .build
# stays untouched. A finding stops the script with the sanitizer's report and a non-zero status.
set -eu
cd "$(dirname "$0")/.."

scratch=${STRATA_SANITIZE_SCRATCH:-.build-sanitize}
mode=${1:-all}
filter=${2:-}

# Stop at the first report, with full stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

run() {
    sanitizer=$1
    shift
    echo "== swift test --sanitize=$sanitizer $*" >&2
    # The strata executable is built too: the interrupted-encode tests run it.
    swift build --scratch-path "$scratch-$sanitizer" --sanitize="$sanitizer" --build-tests
    swift test --skip-build --scratch-path "$scratch-$sanitizer" --sanitize="$sanitizer" "$@"
}

with_filter() {
    if [ -n "$filter" ]; then echo "--filter $filter"; fi
}

case "$mode" in
    address) run address $(with_filter) ;;
    thread) run thread $(with_filter) ;;
    fuzz)
        STRATA_FUZZ_SECONDS=${STRATA_FUZZ_SECONDS:-60} run address --filter 'FuzzTests'
        ;;
    all)
        run address $(with_filter)
        run thread $(with_filter)
        STRATA_FUZZ_SECONDS=${STRATA_FUZZ_SECONDS:-60} run address --filter 'FuzzTests'
        ;;
    *)
        echo "usage: $0 [all|address|thread|fuzz] [test filter]" >&2
        exit 2
        ;;
esac
