#!/usr/bin/env bash
# Installs what netward needs from Debian 12 and builds it.
#   tools/setup.sh [BUILD_DIR [meson options...]]
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	# build
	meson ninja-build pkg-config gcc clang libclang-rt-14-dev
	# libraries, one per role (see docs/ARCHITECTURE.md)
	libpcap-dev libndpi-dev liblua5.4-dev libhiredis-dev libnng-dev
	libh2o-evloop-dev libmsgpack-dev libsqlite3-dev librrd-dev libcap-dev
	libseccomp-dev libssl-dev libmaxminddb-dev libcrypt-dev
	libcurl4-openssl-dev libc-ares-dev
	# runtime
	redis-server ieee-data openssl
	# tests: reference tools, traffic and clients
	python3 libndpi-bin tcpdump tshark curl iproute2 iputils-ping libcap2-bin procps
	python3-maxminddb tcpreplay
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages (run as root to install): ${missing[*]}" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${1:-build}
shift || true
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$@" >/dev/null
fi
ninja -C "$build" >/dev/null
echo "setup: built in $build"
