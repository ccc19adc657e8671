#!/usr/bin/env python3
"""A backend that trickles its answer one byte per send(2), for bench/hce/trickle.sh.

Usage: trickle.py PORT MODE [BYTES [PAUSE_US]]
  banner   BYTES of 'x' (send/expect, nothing sent by the check)
  interim  'HTTP/1.1 100 Continue' then BYTES of header lines, never ending the head (http code)
  length   'HTTP/1.0 200 OK', Content-Length: BYTES, then the body (http digest)
  chunked  a chunked body of BYTES in 1000-byte chunks (http digest)
  close    a body of BYTES delimited by the close (http digest)
Each connection is served on its own thread; a request, if any, is read up to its blank line.
With PAUSE_US, the sender sleeps that long between bytes, so that each byte wakes the checker
on its own (unpaced, a busy checker finds several bytes per wake-up).
"""
import socket
import sys
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


def serve(conn, mode, data, pause):
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if mode != "banner":
            got = b""
            while b"\r\n\r\n" not in got:
                more = conn.recv(4096)
                if not more:
                    return
                got += more
        for i in range(len(data)):
            conn.send(data[i:i + 1])
            if pause:
                time.sleep(pause)
    except OSError:
        pass  # the check closed first
    finally:
        conn.close()


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    data = answer(mode, int(sys.argv[3]) if len(sys.argv) > 3 else 200 * 1024)
    pause = int(sys.argv[4]) / 1e6 if len(sys.argv) > 4 else 0
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, mode, data, pause), daemon=True).start()


main()
