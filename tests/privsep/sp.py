"""A one-shot NNG REQ client over ipc:// for the privsep tests: one
request, one reply or the peer's death, and never a re-send (NNG's REQ
socket would re-send an attempt that killed a worker to its restarted
successor). Speaks the SP-over-IPC framing and just enough msgpack for
the envelope [version, id, method, [str args], {}]."""
import socket
import struct

REQ_PROTO = 0x30


def _str(s):
    b = s.encode()
    if len(b) < 32:
        return bytes([0xa0 | len(b)]) + b
    if len(b) < 256:
        return b"\xd9" + bytes([len(b)]) + b
    return b"\xda" + struct.pack(">H", len(b)) + b


def envelope(method, args, req_id=1):
    body = b"\x95\x01" + bytes([req_id & 0x7f]) + _str(method)
    body += bytes([0x90 | len(args)]) + b"".join(_str(a) for a in args)
    return body + b"\x80"


def _recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("peer closed")
        buf += chunk
    return buf


def call(url, method, *args, timeout=10):
    """Returns the reply body as text (msgpack with readable strings), or
    None when the peer closed the connection without answering."""
    path = url[len("ipc://"):] if url.startswith("ipc://") else url
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(b"\x00SP\x00" + struct.pack(">H", REQ_PROTO) + b"\x00\x00")
        try:
            _recv_exact(s, 8)
            payload = struct.pack(">I", 0x80000001) + envelope(method,
                                                                list(args))
            s.sendall(b"\x01" + struct.pack(">Q", len(payload)) + payload)
            hdr = _recv_exact(s, 9)
            n = struct.unpack(">Q", hdr[1:])[0]
            body = _recv_exact(s, n)[4:]
        except (EOFError, ConnectionResetError):
            return None
    return body.decode("utf-8", "replace")
