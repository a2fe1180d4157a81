#!/usr/bin/env bash
# Command 2 of the README: install, build, and run the whole test suite:
# the normal build, the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer, and the fuzz targets for a bounded time.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

fail_setup() { echo "setup failed: $1"; echo "0 passed, 1 failed"; exit 1; }

# Both test builds carry the "__test_escape" hook of tests/privsep
# (meson -Dtest_hooks=true). They are not build/, which the quick start
# runs: a build for use never has the hook.
for b in build-test build-asan; do
	if [ -f "$b/build.ninja" ]; then
		meson configure "$b" -Dtest_hooks=true >/dev/null || fail_setup "$b"
	fi
done
tools/setup.sh build-test -Dtest_hooks=true || fail_setup "build"
tools/setup.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all -Dtest_hooks=true \
	-Dbuildtype=debug || fail_setup "sanitizer build"
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Dbuildtype=debug >/dev/null || fail_setup "fuzz setup"
fi
ninja -C build-fuzz $(ninja -C build-fuzz -t targets all | grep -o "^fuzz-[a-z0-9-]*" | sort -u) >/dev/null || fail_setup "fuzz build"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp

status=0
# Own log names (--logbase, with this run's pid): several people may run
# meson test, or this script, in the same build dirs at once, and the
# summary must count this run's results only.
logs=test-sh-$$
meson test -C build-test --no-rebuild --print-errorlogs --num-processes 1 \
	--logbase "$logs" || status=1
meson test -C build-asan --no-rebuild --print-errorlogs --num-processes 1 \
	--logbase "$logs" \
	--suite unit --suite integration --suite privsep \
	--timeout-multiplier 3 || status=1
meson test -C build-fuzz --no-rebuild --print-errorlogs --suite fuzz \
	--logbase "$logs" || status=1

/usr/bin/python3 tools/test-summary.py build-test/meson-logs/"$logs".json \
	build-asan/meson-logs/"$logs".json build-fuzz/meson-logs/"$logs".json ||
	status=1
rm -f build*/meson-logs/"$logs".json build*/meson-logs/"$logs".junit.xml
exit $status
