"""Values computed from a capture without netward, to check netward's
answers against: frames and bytes by a small independent pcap reader, flows
by Debian's ndpiReader run on the same file."""
import csv
import ipaddress
import os
import struct
import subprocess
import tempfile

from harness import read_pcap_frames


def _ip_of_ethernet(frame):
    """(src, dst) of an untagged or 802.1Q Ethernet frame carrying IP."""
    off = 12
    etype = struct.unpack(">H", frame[off:off + 2])[0]
    while etype in (0x8100, 0x88A8):
        off += 4
        etype = struct.unpack(">H", frame[off:off + 2])[0]
    off += 2
    if etype == 0x0800 and len(frame) >= off + 20:
        return (str(ipaddress.IPv4Address(frame[off + 12:off + 16])),
                str(ipaddress.IPv4Address(frame[off + 16:off + 20])))
    if etype == 0x86DD and len(frame) >= off + 40:
        return (str(ipaddress.IPv6Address(frame[off + 8:off + 24])),
                str(ipaddress.IPv6Address(frame[off + 24:off + 40])))
    return None


def ethernet_totals(path):
    """Totals of an Ethernet capture: packets, bytes, and per IP address
    bytes/packets sent and received (whole frame lengths)."""
    totals = {"packets": 0, "bytes": 0, "hosts": {}}
    for _, orig, data in read_pcap_frames(path):
        totals["packets"] += 1
        totals["bytes"] += orig
        ips = _ip_of_ethernet(data)
        if ips is None:
            continue
        for ip, side in zip(ips, ("sent", "rcvd")):
            h = totals["hosts"].setdefault(
                ip, {"bytes.sent": 0, "bytes.rcvd": 0,
                     "packets.sent": 0, "packets.rcvd": 0})
            h["bytes." + side] += orig
            h["packets." + side] += 1
    return totals


def ndpireader_flows(path):
    """Flows as Debian's ndpiReader sees them, keyed like oracle.py."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "flows.csv")
        subprocess.run(["ndpiReader", "-i", path, "-C", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True, timeout=120)
        with open(out, newline="") as f:
            rows = list(csv.reader(f))
    head = [h.lstrip("#") for h in rows[0]]
    flows = []
    for r in rows[1:]:
        rec = dict(zip(head, r))
        flows.append({
            "proto.l4_id": int(rec["protocol"]),
            "cli.ip": rec["src_ip"], "cli.port": int(rec["src_port"]),
            "srv.ip": rec["dst_ip"], "srv.port": int(rec["dst_port"]),
            "cli2srv.packets": int(rec["c_to_s_pkts"]),
            "cli2srv.bytes": int(rec["c_to_s_bytes"]),
            "srv2cli.packets": int(rec["s_to_c_pkts"]),
            "srv2cli.bytes": int(rec["s_to_c_bytes"]),
            "proto.ndpi": rec["ndpi_proto"],
        })
    return flows
