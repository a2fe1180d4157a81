#!/usr/bin/env bash
# Records the bundled sample capture (tests/data/sample.pcap): real traffic
# between two network namespaces this script creates and removes: HTTP,
# HTTPS (TLS with SNI), DNS, ICMP and ICMPv6, over IPv4 and IPv6.
# Nothing leaves the namespaces. Needs root, iproute2, tcpdump, python3,
# openssl and curl.
set -euo pipefail

out=${1:-$(dirname "$0")/../tests/data/sample.pcap}
tag=nws$$
cli=${tag}c
srv=${tag}s
work=$(mktemp -d)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	ip netns del "$cli" 2>/dev/null || true
	ip netns del "$srv" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$cli"
ip netns add "$srv"
ip link add veth0 netns "$cli" type veth peer name veth0 netns "$srv"
ip -n "$cli" addr add 10.77.0.2/24 dev veth0
ip -n "$srv" addr add 10.77.0.1/24 dev veth0
ip -n "$cli" addr add fd77::2/64 dev veth0 nodad
ip -n "$srv" addr add fd77::1/64 dev veth0 nodad
for ns in "$cli" "$srv"; do
	ip -n "$ns" link set lo up
	ip -n "$ns" link set veth0 up
done

# Servers in the server namespace.
mkdir -p "$work/www"
head -c 200000 /dev/urandom | base64 >"$work/www/big.txt"
echo '<html><body>netward sample</body></html>' >"$work/www/index.html"
ip netns exec "$srv" python3 -m http.server 80 --bind :: \
	--directory "$work/www" >/dev/null 2>&1 &
pids+=($!)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sample.netward.test \
	-keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
ip netns exec "$srv" openssl s_server -quiet -accept 443 -www \
	-cert "$work/cert.pem" -key "$work/key.pem" >/dev/null 2>&1 &
pids+=($!)
cat >"$work/dns.py" <<'EOF'
# A tiny authoritative answer for any A query: 10.77.0.1.
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 53))
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    end = q.index(b"\0", 12) + 5
    hdr = q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00"
    ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + socket.inet_aton("10.77.0.1")
    s.sendto(hdr + q[12:end] + ans, peer)
EOF
ip netns exec "$srv" python3 "$work/dns.py" &
pids+=($!)
sleep 1

ip netns exec "$cli" tcpdump -i veth0 -U -s 0 -w "$work/sample.pcap" >/dev/null 2>&1 &
tcpdump_pid=$!
pids+=($tcpdump_pid)
sleep 1

cat >"$work/dnsq.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i, name in enumerate(sys.argv[1:]):
    q = struct.pack(">HHHHHH", 0x1000 + i, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    q += struct.pack(">HH", 1, 1)
    s.sendto(q, ("10.77.0.1", 53))
    try:
        s.recvfrom(512)
    except socket.timeout:
        pass
EOF
ip netns exec "$cli" python3 "$work/dnsq.py" www.netward.test sample.netward.test files.netward.test
ip netns exec "$cli" ping -c 3 -i 0.2 10.77.0.1 >/dev/null
ip netns exec "$cli" ping -6 -c 2 -i 0.2 fd77::1 >/dev/null
for i in 1 2 3; do
	ip netns exec "$cli" curl -s -o /dev/null http://10.77.0.1/index.html
done
ip netns exec "$cli" curl -s -o /dev/null http://10.77.0.1/big.txt
ip netns exec "$cli" curl -s -o /dev/null "http://[fd77::1]/index.html"
for i in 1 2; do
	ip netns exec "$cli" curl -sk -o /dev/null --resolve sample.netward.test:443:10.77.0.1 \
		https://sample.netward.test/
done
sleep 1
kill "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true

mkdir -p "$(dirname "$out")"
cp "$work/sample.pcap" "$out"
echo "wrote $out: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets"
