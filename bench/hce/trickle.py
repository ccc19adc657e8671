#!/usr/bin/env python3
"""A backend that trickles its answer one byte per send(2), for bench/hce/trickle.sh.

Usage: [ADDR=A] [TLS=records|segments] trickle.py PORT MODE [BYTES [PAUSE_US]]
  banner   BYTES of 'x' (send/expect, nothing sent by the check)
  interim  'HTTP/1.1 100 Continue' then BYTES of header lines, never ending the head (http code)
  length   'HTTP/1.0 200 OK', Content-Length: BYTES, then the body (http digest)
  chunked  a chunked body of BYTES in 1000-byte chunks (http digest)
  close    a body of BYTES delimited by the close (http digest)
Each connection is served on its own thread; a request, if any, is read up to its blank line.
With PAUSE_US, the sender sleeps that long between bytes, so that each byte wakes the checker
on its own (unpaced, a busy checker finds several bytes per wake-up).
ADDR is the address to listen on (127.0.0.1). TLS speaks TLS (a throwaway self-signed key):
  records   one TLS record per byte of the answer (each its own TCP segment)
  segments  the answer in full-size records, whose bytes go one per send(2)
"""
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time


def answer(mode, size):
    if mode == "banner":
        return b"x" * size
    if mode == "interim":
        line = b"X-Filler: " + b"y" * 54 + b"\r\n"
        return b"HTTP/1.1 100 Continue\r\n" + line * (size // len(line))
    if mode == "length":
        return b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size
    if mode == "chunked":
        body = b"".join(b"3e8\r\n" + b"x" * 1000 + b"\r\n" for _ in range(size // 1000))
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n"
    if mode == "close":
        return b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * size
    raise SystemExit("unknown mode " + mode)


def tls_context():
    """A server context with a key made for this run (openssl), removed once loaded."""
    with tempfile.TemporaryDirectory(prefix="trickle-tls.") as d:
        key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return ctx


def drip(send, data, pause):
    for i in range(len(data)):
        send(data[i:i + 1])
        if pause:
            time.sleep(pause)


def read_head(recv):
    got = b""
    while b"\r\n\r\n" not in got:
        more = recv(4096)
        if not more:
            return False
        got += more
    return True


def serve_segments(conn, ctx, mode, data, pause):
    """TLS over memory buffers, so that the wire bytes of whole records can be sent one by one."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_side=True)

    def pump(step):
        while True:
            try:
                return step()
            except ssl.SSLWantReadError:
                conn.sendall(out.read())
                more = conn.recv(16384)
                if not more:
                    raise OSError("closed")
                inc.write(more)

    pump(tls.do_handshake)
    conn.sendall(out.read())
    if mode != "banner" and not read_head(lambda n: pump(lambda: tls.read(n))):
        return
    tls.write(data)
    drip(conn.send, out.read(), pause)


def serve(conn, ctx, mode, data, pause):
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ctx is not None and os.environ["TLS"] == "segments":
            serve_segments(conn, ctx, mode, data, pause)
            return
        if ctx is not None:
            conn = ctx.wrap_socket(conn, server_side=True)
        if mode != "banner" and not read_head(conn.recv):
            return
        drip(conn.send, data, pause)
    except (OSError, ssl.SSLError):
        pass  # the check closed first
    finally:
        conn.close()


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    data = answer(mode, int(sys.argv[3]) if len(sys.argv) > 3 else 200 * 1024)
    pause = int(sys.argv[4]) / 1e6 if len(sys.argv) > 4 else 0
    tls = os.environ.get("TLS", "")
    if tls not in ("", "records", "segments"):
        raise SystemExit("TLS must be records or segments, not " + tls)
    ctx = tls_context() if tls else None
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((os.environ.get("ADDR", "127.0.0.1"), port))
    ls.listen(64)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, ctx, mode, data, pause), daemon=True).start()


main()
