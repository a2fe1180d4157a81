#!/bin/bash
# bench/run.sh - netward against the reference tools, in one run.
#
#   bench/run.sh [--quick] [--runs N] [--only ingest,memory,rpc,rest,live]
#
# Builds a release netward (build-release/), the bench tools and the
# workloads under bench/work/ (big.pcap from ../shared/bench/make_big.sh,
# a 1M-flow capture from bench/gen_flows.c), then prints one table of
# netward against ndpiReader, a pcap_next_ex loop, and the targets of
# docs/PERFORMANCE.md. --quick uses the first 300k packets of big.pcap and
# 200k flows, for development. Needs root for the live item (a network
# namespace with a veth pair, removed at the end). Not part of the tests.
set -euo pipefail
SRC=$(dirname "$(readlink -f "$0")")/..
SRC=$(readlink -f "$SRC")
WORK=${BENCH_WORK:-$SRC/bench/work}
BUILD=$SRC/build-release
SHARED=${NETWARD_SHARED_DIR:-$SRC/../shared}
QUICK=0 RUNS=3 ONLY=ingest,memory,rpc,rest,live
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--runs) RUNS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	*) echo "usage: $0 [--quick] [--runs N] [--only LIST]" >&2; exit 2 ;;
	esac
	shift
done

need=()
command -v ndpiReader >/dev/null || need+=(libndpi-bin)
command -v wrk >/dev/null || need+=(wrk)
command -v tcpreplay >/dev/null || need+=(tcpreplay)
command -v editcap >/dev/null || need+=(wireshark-common)
if [ ${#need[@]} -gt 0 ]; then
	echo "bench: installing ${need[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2
fi

echo "bench: building $BUILD (release)" >&2
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$SRC" -Dbuildtype=release -Db_ndebug=true >&2
fi
ninja -C "$BUILD" >&2

mkdir -p "$WORK/bin"
CFLAGS="-O2 -g -std=gnu11 -Wall -Wextra -Werror"
cc $CFLAGS "$SRC/bench/pcap_loop.c" -o "$WORK/bin/pcap_loop" -lpcap
cc $CFLAGS "$SRC/bench/gen_flows.c" -o "$WORK/bin/gen_flows"
cc $CFLAGS "$SRC/bench/ipc_floor.c" -o "$WORK/bin/ipc_floor" -lnng -lpthread
cc $CFLAGS -I"$SRC/ipc" "$SRC/bench/rpc_bench.c" -o "$WORK/bin/rpc_bench" \
	"$BUILD/libnetward-ipc.a" $(pkg-config --cflags --libs msgpack) \
	-lnng -lpthread

if [ ! -s "$WORK/big.pcap" ]; then
	echo "bench: building big.pcap (make_big.sh)" >&2
	OUT=$WORK "$SHARED/bench/make_big.sh" > "$WORK/make_big.log" 2>&1
fi
BIG=$WORK/big.pcap NFLOWS=1000000
if [ "$QUICK" = 1 ]; then
	BIG=$WORK/big-300k.pcap NFLOWS=200000
	[ -s "$BIG" ] || editcap -F pcap -r "$WORK/big.pcap" "$BIG" 1-300000
fi
FLOWS=$WORK/flows-$NFLOWS.pcap
[ -s "$FLOWS" ] || "$WORK/bin/gen_flows" "$NFLOWS" "$FLOWS"

args=(--build "$BUILD" --bin "$WORK/bin" --work "$WORK" --big "$BIG"
	--flows-pcap "$FLOWS" --rest-pcap "$SRC/tests/data/sample.pcap"
	--runs "$RUNS" --only "$ONLY")
if [ "$QUICK" = 1 ]; then
	args+=(--wrk-secs 4 --live-limit 300000)
fi
python3 "$SRC/bench/bench.py" "${args[@]}" | tee "$WORK/last-run.txt"
