#!/bin/sh
# Runs one libFuzzer target for a bounded time from its seed corpus; new
# inputs go to a scratch corpus in the build dir, never into the sources.
#   run-fuzzer.sh TARGET SECONDS SEED_DIR SCRATCH_DIR
set -e
mkdir -p "$4"
exec "$1" -max_total_time="$2" -rss_limit_mb=2048 -print_final_stats=1 "$4" "$3"
