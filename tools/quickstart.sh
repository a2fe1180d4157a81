#!/usr/bin/env bash
# Command 1 of the README: install, build, and run netward on the bundled
# sample capture with embedded defaults (private Redis, generated TLS
# certificate). Prints the URL and the admin password; ^C stops it all.
#   tools/quickstart.sh [PCAP_OR_DEVICE]
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

tools/setup.sh build

source_if=${1:-$top/tests/data/sample.pcap}
extra=()
if [ "$(id -u)" = 0 ]; then
	# The workers run as nobody, which may not reach into this checkout
	# (a clone under /root is 0700): the state and a copy of the script
	# tree go where it can. Run this again after editing scripts/.
	state=/var/lib/netward-quickstart
	install=$state/install
	rm -rf "$install"
	mkdir -p "$install"
	cp -r scripts httpdocs "$install/"
	chmod -R a+rX "$install"
	extra=(--install-dir "$install")
else
	state=$top/var
fi
mkdir -p "$state"
chmod 755 "$state"
pwfile=$state/admin-password
if [ ! -s "$pwfile" ]; then
	(umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$pwfile")
fi
port=${NETWARD_PORT:-3000}

echo
echo "  netward is starting on $source_if"
echo "  URL:      https://localhost:$port/  (self-signed certificate)"
echo "  login:    admin / $(cat "$pwfile")   (set at the first start; kept in $pwfile)"
echo "  REST:     curl -k -u admin:$(cat "$pwfile") https://localhost:$port/lua/rest/v2/get/interface/data.lua?ifid=0"
echo "  stop:     ^C"
echo
exec "$top/build/netward" -i "$source_if" -d "$state/data" --runtime-dir "$state/run" \
	-w "$port" --admin-password-file "$pwfile" "${extra[@]}"
