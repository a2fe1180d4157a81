#!/bin/sh
# Runs one libFuzzer target for a bounded time from its seed corpus; new
# inputs and crash artifacts go to a scratch dir in the build tree, never
# into the sources. A finding exits 1 (libFuzzer's own 77 would read as
# "skipped" to meson).
#   run-fuzzer.sh TARGET SECONDS SEED_DIR SCRATCH_DIR
set -e
mkdir -p "$4" "$4-tmp"
# a target's own files (fuzz-script-path makes a script tree) go there too
export TMPDIR="$4-tmp"
exec "$1" -max_total_time="$2" -rss_limit_mb=2048 -print_final_stats=1 \
	-error_exitcode=1 -artifact_prefix="$4/" "$4" "$3"
